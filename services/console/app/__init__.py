"""The console's use cases: sign-in, account administration, audit review, break-the-glass."""
