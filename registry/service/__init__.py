"""The service layer: every read and write of the catalog goes through these functions.

Services take a Session and flush; the caller (CLI command, API request dependency) owns the transaction.
"""
