/** The `sync check` report's schemaVersion, apart from the zod schema so that building a report does not load zod. */
export const SCHEMA_VERSION = 1;
