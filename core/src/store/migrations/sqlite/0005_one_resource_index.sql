-- Holdfast schema v5 (SQLite): the capacity and free/busy queries scan
-- `bookings_by_resource` and test the status in the row, and the partial
-- index `bookings_blocking` (a copy of that index's first columns for the
-- blocking rows) is dropped. Those queries read every matching row anyway,
-- so the extra rows they now skip are the cancelled, declined and expired
-- ones in the window; every booking written saves one index insert, and
-- every status change out of blocking one index delete.

DROP INDEX bookings_blocking;
