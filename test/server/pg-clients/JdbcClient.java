// Drives the sqlml wire protocol with the PostgreSQL JDBC driver (what DBeaver, Metabase and
// Tableau use): a sqlml statement, a parameterized pass-through query, an error, and the
// connection still usable after it. Run: java -cp postgresql.jar JdbcClient.java URL TABLE [USER [PASSWORD]]
import java.sql.*;

public class JdbcClient {
  public static void main(String[] args) throws Exception {
    try (Connection c = DriverManager.getConnection(args[0], args.length > 2 ? args[2] : "analyst", args.length > 3 ? args[3] : "anything")) {
      try (Statement s = c.createStatement(); ResultSet r = s.executeQuery("SHOW MODELS")) {
        while (r.next()) System.out.println("model " + r.getString("name"));
      }
      // Prepared twice over the threshold, so the driver switches to a named server-side statement.
      for (int i = 0; i < 7; i++) {
        try (PreparedStatement p = c.prepareStatement("SELECT id, score FROM " + args[1] + " WHERE score >= ? ORDER BY score DESC LIMIT ?")) {
          p.setDouble(1, 0.5);
          p.setInt(2, 2);
          try (ResultSet r = p.executeQuery()) {
            if (r.next() && i == 0) System.out.println("top score " + r.getDouble("score"));
          }
        }
      }
      try (PreparedStatement p = c.prepareStatement("SHOW MODELS")) {
        for (int i = 0; i < 7; i++) {
          try (ResultSet r = p.executeQuery()) {
            if (!r.next()) throw new IllegalStateException("SHOW MODELS returned no rows on run " + i);
          }
        }
      }
      try (Statement s = c.createStatement()) {
        s.executeQuery("DESCRIBE MODEL jdbc_no_such_model");
      } catch (SQLException e) {
        System.out.println("error " + e.getSQLState());
      }
      try (Statement s = c.createStatement(); ResultSet r = s.executeQuery("SELECT 40 + 2")) {
        r.next();
        System.out.println("after error " + r.getInt(1));
      }
    }
  }
}
