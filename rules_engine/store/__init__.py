"""The store: an auditable SQL ledger that a rulebook is applied to live (SQLite or PostgreSQL)."""
