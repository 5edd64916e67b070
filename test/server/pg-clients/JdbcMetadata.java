// The DatabaseMetaData calls BI tools (DBeaver, Metabase, Tableau) make on connect, through
// the PostgreSQL JDBC driver: one line per schema, table, column, imported key, index column and
// primary-key column.
// Run: java -cp postgresql.jar JdbcMetadata.java URL USER PASSWORD TABLE
import java.sql.*;

public class JdbcMetadata {
  public static void main(String[] args) throws Exception {
    try (Connection c = DriverManager.getConnection(args[0], args[1], args[2])) {
      DatabaseMetaData m = c.getMetaData();
      try (ResultSet r = m.getSchemas()) {
        while (r.next()) System.out.println("schema " + r.getString("TABLE_SCHEM"));
      }
      try (ResultSet r = m.getTables(null, null, "%", new String[] {"TABLE", "VIEW"})) {
        while (r.next()) System.out.println("table " + r.getString("TABLE_SCHEM") + "." + r.getString("TABLE_NAME") + " " + r.getString("TABLE_TYPE"));
      }
      try (ResultSet r = m.getColumns(null, null, args[3], "%")) {
        while (r.next()) {
          System.out.println("column " + r.getString("TABLE_SCHEM") + "." + r.getString("TABLE_NAME") + "." + r.getString("COLUMN_NAME") + " " + r.getString("TYPE_NAME")
              + " " + r.getInt("DATA_TYPE") + " " + r.getString("IS_NULLABLE") + " size=" + r.getInt("COLUMN_SIZE") + " position=" + r.getInt("ORDINAL_POSITION"));
        }
      }
      // Every column of every table at once (what a schema browser's first sync asks): the table's are among them.
      try (ResultSet r = m.getColumns(null, null, "%", "%")) {
        while (r.next()) {
          if (r.getString("TABLE_NAME").equals(args[3])) System.out.println("any-table column " + r.getString("COLUMN_NAME") + " " + r.getString("TYPE_NAME") + " position=" + r.getInt("ORDINAL_POSITION"));
        }
      }
      try (ResultSet r = m.getImportedKeys(null, null, args[3])) {
        while (r.next()) System.out.println("imported key " + r.getString("FKCOLUMN_NAME") + " -> " + r.getString("PKTABLE_NAME"));
      }
      try (ResultSet r = m.getIndexInfo(null, null, args[3], false, true)) {
        while (r.next()) System.out.println("index " + r.getString("INDEX_NAME") + " " + r.getString("COLUMN_NAME") + " unique=" + !r.getBoolean("NON_UNIQUE") + " position=" + r.getInt("ORDINAL_POSITION"));
      }
      try (ResultSet r = m.getPrimaryKeys(null, null, args[3])) {
        while (r.next()) System.out.println("pk " + r.getString("TABLE_NAME") + "." + r.getString("COLUMN_NAME") + " " + r.getInt("KEY_SEQ") + " " + r.getString("PK_NAME"));
      }
    }
  }
}
