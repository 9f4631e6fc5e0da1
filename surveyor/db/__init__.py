"""Storage: one interface, two backends (SQLite by default, PostgreSQL for scale-out)."""

from surveyor.db.database import Database, Row, StorageUnavailable, Tx, open_database

__all__ = ["Database", "Row", "StorageUnavailable", "Tx", "open_database"]
