"""Scenarios: a data file (TOML) of parties, zones, notices, aircraft routes, hotline messages
and expected facts (:mod:`.model`, pure); the reports and ground truth its routes imply
(:mod:`.tracks`, pure); the driver that plays it against a running service over HTTP on a
simulated clock (:mod:`.driver`); and the checks of its expected facts (:mod:`.facts`)."""
