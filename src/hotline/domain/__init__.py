"""Pure domain types and mathematics. SI units inside, timezone-aware UTC datetimes, no I/O."""
