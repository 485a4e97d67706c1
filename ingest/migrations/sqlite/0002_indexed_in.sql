-- The store the committed validators belong to (a file that already has the column skips this step).
ALTER TABLE urls ADD COLUMN indexed_in TEXT;
