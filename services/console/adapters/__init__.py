"""The console's storage: the audit trail's review queries."""
