-- Windows line endings and non-ASCII text before statements must not shift line numbers.
-- Café, naïve, 日本語, emoji 🚀
SELECT 'Grüße aus Köln — ✓';
COMMENT ON TABLE users IS 'Utilisateurs (données personnelles) 🚀';
ALTER TABLE "Benutzer" DROP COLUMN "Straße";
/* ünïcödé block
   comment */
CREATE INDEX "índice" ON "Benutzer" ("Straße2");
