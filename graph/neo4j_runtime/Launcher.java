// Runs Neo4j Community (embedded) with its Bolt server, for `c360 neo4j start`.
//
// Why a launcher: the Neo4j server tarball is not on Maven Central, the jars are. This file is
// run as source (`java -cp 'jars/*' Launcher.java HOME CONF`), so there is no build step.
// Settings come from CONF (5.x names, written by graph/server.py); the password comes from the
// environment variable C360_NEO4J_PASSWORD so that it never shows in `ps`.
// SIGTERM shuts the database down cleanly (checkpoint, then exit 0).

import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import org.neo4j.dbms.api.DatabaseManagementService;
import org.neo4j.dbms.api.DatabaseManagementServiceBuilder;

public class Launcher {
    public static void main(String[] args) throws Exception {
        if (args.length != 2) {
            System.err.println("usage: java -cp 'jars/*' Launcher.java HOME CONF");
            System.exit(2);
        }
        DatabaseManagementService dbms = new DatabaseManagementServiceBuilder(Path.of(args[0]))
                .loadPropertiesFromFile(Path.of(args[1]))
                .build();
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            dbms.shutdown();
            stopped.countDown();
        }));
        setPassword(dbms, System.getenv("C360_NEO4J_PASSWORD"));
        System.out.println("c360-neo4j ready");
        System.out.flush();
        stopped.await();
    }

    /** Community has native users: set the built-in user's password, no change required. */
    private static void setPassword(DatabaseManagementService dbms, String password) {
        if (password == null || password.isEmpty()) {
            return;
        }
        try {
            dbms.database("system").executeTransactionally(
                    "ALTER USER neo4j SET PASSWORD $pw CHANGE NOT REQUIRED", Map.of("pw", password));
        } catch (RuntimeException e) {
            // Restarting with an unchanged password is the normal case, not an error.
            if (!String.valueOf(e.getMessage()).contains("cannot be the same")) {
                throw e;
            }
        }
    }
}
