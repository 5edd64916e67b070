"""Drives the sqlml wire protocol with psycopg2 (libpq): a sqlml statement, a parameterized
pass-through query, an error, and the connection still usable after it.
Run: python3 psycopg2_client.py PORT TABLE [USER DATABASE [PASSWORD]]"""
import sys

import psycopg2

port, table = int(sys.argv[1]), sys.argv[2]
user, dbname, password = (sys.argv[3:] + ["analyst", "sqlml", "anything"][len(sys.argv[3:]):])[:3]
conn = psycopg2.connect(host="127.0.0.1", port=port, user=user, password=password, dbname=dbname)
conn.autocommit = True
cur = conn.cursor()
cur.execute("SHOW MODELS")
for row in cur.fetchall():
    print("model", row[0])
cur.execute("SELECT id, score FROM " + table + " WHERE score >= %s ORDER BY score DESC LIMIT %s", (0.5, 2))
print("top score", cur.fetchone()[1])
try:
    cur.execute("DESCRIBE MODEL psycopg2_no_such_model")
except psycopg2.Error as error:
    print("error", error.pgcode)
cur.execute("SELECT %s::int + 1", (41,))
print("after error", cur.fetchone()[0])
conn.close()
