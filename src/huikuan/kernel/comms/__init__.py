"""Communications kernel: SMS segment counting, template variable rendering, retry and lease rules. No Django."""
