-- Warehouse tables for police.uk record-level data. One row per published record; every row
-- keeps the file and line it came from. Partitions (force x dataset x month) are replaced
-- whole, inside one transaction, by oversight.sources.police_uk.

CREATE TABLE IF NOT EXISTS street_crime (
    force               VARCHAR NOT NULL,   -- police.uk force id of the publishing force
    month               DATE NOT NULL,      -- first day of the month the crime was recorded in
    crime_id            VARCHAR,            -- 64-hex police.uk id; NULL for anti-social behaviour
    reported_by         VARCHAR,
    falls_within        VARCHAR,
    longitude           DOUBLE,             -- anonymised snap point, never an exact location
    latitude            DOUBLE,
    location            VARCHAR,
    lsoa_code           VARCHAR,
    lsoa_name           VARCHAR,
    crime_type          VARCHAR NOT NULL,
    last_outcome        VARCHAR,            -- canonical label (see vocab/crime_outcome_renames.csv)
    last_outcome_published VARCHAR,         -- label as published
    context             VARCHAR,
    source_file         VARCHAR NOT NULL,
    source_line         BIGINT NOT NULL
);

CREATE TABLE IF NOT EXISTS crime_outcome (
    force               VARCHAR NOT NULL,
    month               DATE NOT NULL,      -- month the outcome was recorded in
    crime_id            VARCHAR NOT NULL,
    reported_by         VARCHAR,
    falls_within        VARCHAR,
    longitude           DOUBLE,
    latitude            DOUBLE,
    location            VARCHAR,
    lsoa_code           VARCHAR,
    lsoa_name           VARCHAR,
    outcome             VARCHAR NOT NULL,   -- canonical label
    outcome_published   VARCHAR NOT NULL,   -- label as published
    source_file         VARCHAR NOT NULL,
    source_line         BIGINT NOT NULL
);

CREATE TABLE IF NOT EXISTS stop_search (
    force               VARCHAR NOT NULL,
    month               DATE NOT NULL,      -- the file's month (see docs/decisions/0002)
    search_type         VARCHAR NOT NULL,
    occurred_at         TIMESTAMPTZ NOT NULL,
    part_of_operation   BOOLEAN,
    operation_name      VARCHAR,
    latitude            DOUBLE,
    longitude           DOUBLE,
    gender              VARCHAR,
    age_range           VARCHAR,
    self_defined_ethnicity VARCHAR,
    self_defined_group  VARCHAR,            -- Asian, Black, Mixed, White, Other, or NULL if not stated
    officer_defined_ethnicity VARCHAR,
    legislation         VARCHAR,
    object_of_search    VARCHAR,
    outcome             VARCHAR,            -- canonical label
    outcome_published   VARCHAR,
    outcome_linked_to_object BOOLEAN,
    removal_of_more_than_outer_clothing BOOLEAN,
    street_name         VARCHAR,
    source_file         VARCHAR NOT NULL,
    source_line         BIGINT NOT NULL
);

-- Rows that broke a rule: never dropped, always explained.
CREATE TABLE IF NOT EXISTS quarantine (
    load_id             BIGINT NOT NULL,
    dataset             VARCHAR NOT NULL,
    force               VARCHAR,
    month               DATE,
    source_file         VARCHAR NOT NULL,
    source_line         BIGINT,
    field               VARCHAR,
    value               VARCHAR,
    reason              VARCHAR NOT NULL,
    record              VARCHAR             -- the whole row as read (JSON, or the raw CSV line)
);

-- One row per file loaded: the ledger behind "rows read = rows loaded + rows quarantined".
CREATE TABLE IF NOT EXISTS file_load (
    load_id             BIGINT PRIMARY KEY,
    source_file         VARCHAR NOT NULL,
    sha256              VARCHAR NOT NULL,
    dataset             VARCHAR NOT NULL,
    force               VARCHAR,
    rows_read           BIGINT NOT NULL,
    rows_loaded         BIGINT NOT NULL,
    rows_quarantined    BIGINT NOT NULL,
    loaded_at           TIMESTAMPTZ NOT NULL
);

-- Which load currently supplies each partition.
CREATE TABLE IF NOT EXISTS partition_load (
    dataset             VARCHAR NOT NULL,
    force               VARCHAR NOT NULL,
    month               DATE NOT NULL,
    load_id             BIGINT NOT NULL,
    rows_loaded         BIGINT NOT NULL,
    PRIMARY KEY (dataset, force, month)
);

CREATE SEQUENCE IF NOT EXISTS load_id_seq START 1;
