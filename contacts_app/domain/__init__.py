"""Domain functions: take a Session, return plain values, raise typed errors."""
