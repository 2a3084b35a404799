"""Incident reports: what one party may see of an interval, collected through the service's
use cases (:mod:`.collect`) and rendered as self-contained HTML with charts, and PDF
(:mod:`.render`)."""
