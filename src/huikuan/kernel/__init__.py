"""Pure rules of huikuan: no Django imports anywhere below this package.

Everything here works on plain values (Decimal, date, datetime, frozen dataclasses) so it can be
tested without a database and reused by the batch jobs, the web adapters and the command line.
"""
