-- Time buckets in the cell index (hotline.strategic.buckets): each index row is stored once
-- per 6-hour bucket its window touches, and the candidate query reads only the buckets of its
-- own window, instead of every row in its cell ranges whatever their time.
-- Rows written before this migration keep the "long" bucket, which every query reads, so
-- nothing is missed; they move to their buckets when their declaration is written again.
ALTER TABLE cells ADD COLUMN bucket BIGINT NOT NULL DEFAULT -4611686018427387904;
DROP INDEX cells_by_cell;
CREATE INDEX cells_by_bucket ON cells (bucket, cell, t_end_us, t_start_us, alt_lo_m, alt_hi_m, owner, kind, id);
