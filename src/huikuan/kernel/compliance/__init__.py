"""Compliance kernel: rule packs, the contact gate (scalar and batch) and text screening. No Django here."""
