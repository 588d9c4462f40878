-- Which gateway drains the mailbox (issue 15): one holder at a time, by a lease that expires
-- unless renewed. `token` grows with every change of holder (a fencing token): a gateway checks
-- it is still the holder, with time to spare, before every deletion on the server.
-- Times are milliseconds since 1970 by the database's clock, so replicas need not agree on theirs.
CREATE TABLE leases (
    name       TEXT PRIMARY KEY,
    holder     TEXT NOT NULL,
    token      INTEGER NOT NULL CHECK (token > 0),
    expires_ms INTEGER NOT NULL
) STRICT;
