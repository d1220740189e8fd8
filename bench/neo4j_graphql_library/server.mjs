// The Neo4j GraphQL Library (@neo4j/graphql) serving typeDefs.graphql over Apollo Server,
// for bench/graphql_library.py. Usage: node server.mjs PORT (loopback only); Neo4j from
// NEO4J_URI, NEO4J_USER, NEO4J_PASSWORD. POST /graphql; prints "ready" once it listens.
import { readFileSync } from "node:fs";
import { ApolloServer } from "@apollo/server";
import { startStandaloneServer } from "@apollo/server/standalone";
import { Neo4jGraphQL } from "@neo4j/graphql";
import neo4j from "neo4j-driver";

const port = Number(process.argv[2] ?? process.env.PORT ?? 4000);
const typeDefs = readFileSync(new URL("./typeDefs.graphql", import.meta.url), "utf8");
const driver = neo4j.driver(
    process.env.NEO4J_URI ?? "bolt://127.0.0.1:7687",
    neo4j.auth.basic(process.env.NEO4J_USER ?? "neo4j", process.env.NEO4J_PASSWORD ?? ""),
);
const schema = await new Neo4jGraphQL({ typeDefs, driver }).getSchema();
const server = new ApolloServer({ schema });
const { url } = await startStandaloneServer(server, {
    listen: { host: "127.0.0.1", port },
});
const version = (name) =>
    JSON.parse(readFileSync(new URL(`./node_modules/${name}/package.json`, import.meta.url), "utf8"))
        .version;
const versions = ["@neo4j/graphql", "@apollo/server", "neo4j-driver", "graphql"]
    .map((name) => `${name} ${version(name)}`)
    .join(", ");
console.log(`ready ${url} node ${process.version}, ${versions}`);

const stop = async () => {
    await server.stop();
    await driver.close();
    process.exit(0);
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
