/** A backup on disk as rewind records it: what a DatabaseEngine's backup writes and a PITR base backup extends. */
export interface BackupArtifact {
  /** Absolute path of the dump (file or, for directory-format dumps, directory). */
  path: string;
  /** Bytes on disk (for a directory: the sum of its files). */
  size: number;
  /**
   * sha256 (hex) of the dump, computed while it streamed (no second read). For a directory: the sha256
   * of its `sha256sum`-style manifest, i.e. of the lines `<sha256 of file>  <relative/path>\n` sorted by path.
   */
  sha256: string;
  /** Engine-specific format name: `pg-custom-zst`, `pg-custom`, `pg-directory`, `mysql-sql-gz`, `mysql-sql`, `sqlite-file`. */
  format: string;
}
