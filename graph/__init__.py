"""Neo4j: the managed local server, the connection, the schema, loading and all Cypher."""
