"""Tabular files in and out (CSV and XLSX): shared by every import and export, above no app."""
