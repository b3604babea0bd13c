-- Quoted identifiers that spell keywords are names, not commands.
CREATE TABLE "Drop" ("Truncate" text, "select" int);
ALTER TABLE "Drop" ADD COLUMN "Delete" int NOT NULL;
CREATE INDEX "create index" ON "Drop" ("Truncate");
ALTER TABLE "user table" DROP COLUMN "Drop";
DROP TABLE "DROP TABLE";
ALTER TABLE "Order" RENAME COLUMN "select" TO "from";
CREATE INDEX "CONCURRENTLY" ON "user table" ("Name");
ALTER TABLE public."Mixed Case" ALTER COLUMN "Amount" TYPE numeric(12, 2);
SELECT "drop", "truncate" FROM "ALTER TABLE";
