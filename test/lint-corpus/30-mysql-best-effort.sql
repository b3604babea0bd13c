-- MySQL, linted with --engine mysql (best effort).
# hash comments are MySQL comments: DROP TABLE not_really;
CREATE TABLE `widgets` (`id` INT NOT NULL AUTO_INCREMENT PRIMARY KEY, `name` VARCHAR(100));
ALTER TABLE `widgets` ADD COLUMN `color` VARCHAR(20) NOT NULL;
ALTER TABLE gadgets ADD COLUMN weight INT NULL DEFAULT 0;
ALTER TABLE gadgets DROP COLUMN legacy;
ALTER TABLE gadgets RENAME COLUMN title TO name;
ALTER TABLE gadgets CHANGE sku sku_code VARCHAR(40);
ALTER TABLE gadgets MODIFY COLUMN price DECIMAL(12,2);
ALTER TABLE gadgets ADD COLUMN maker_id INT NOT NULL;
RENAME TABLE gadgets TO devices;
SELECT 'DROP TABLE devices; -- not a statement';
TRUNCATE TABLE device_logs;
DELETE FROM device_logs;
UPDATE devices SET price = 0;
UPDATE devices SET price = 0 WHERE id = 7;
-- rewind:ignore RW101 old copy, archived
DROP TABLE devices_copy;
DROP VIEW device_summary;
SET FOREIGN_KEY_CHECKS = 0;
