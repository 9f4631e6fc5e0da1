"""Contacts: the customers who are surveyed, keyed by the product's own external id."""
