// A hello server on the JDK's built-in com.sun.net.httpserver, with a fixed pool of four
// handler threads; with "default", on the default executor, which runs every handler on the
// dispatcher thread (the selector loop); with "stats FILE" as well, a thread appends the
// request count to FILE once a second.
//
// Usage: java Hello PORT [default [stats FILE]]
import com.sun.net.httpserver.HttpServer;
import java.io.FileWriter;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;

public class Hello {
    private static final byte[] BODY = "hello from com.sun.net.httpserver\n".getBytes(StandardCharsets.US_ASCII);

    private static final AtomicLong REQUESTS = new AtomicLong();

    public static void main(String[] args) throws Exception {
        if (args.length != 1 && args.length != 2 && args.length != 4) {
            System.err.println("usage: java Hello PORT [default [stats FILE]]");
            System.exit(2);
        }
        int port = Integer.parseInt(args[0]);
        boolean defaultExecutor = args.length >= 2 && args[1].equals("default");
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 128);
        server.createContext("/", exchange -> {
            REQUESTS.incrementAndGet();
            exchange.getRequestBody().readAllBytes();
            exchange.getResponseHeaders().set("Content-Type", "text/plain");
            exchange.sendResponseHeaders(200, BODY.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(BODY);
            }
        });
        if (!defaultExecutor) server.setExecutor(Executors.newFixedThreadPool(4));
        server.start();
        if (args.length == 4 && args[2].equals("stats")) {
            String file = args[3];
            Thread stats = new Thread(() -> {
                while (true) {
                    try {
                        Thread.sleep(1000);
                        try (FileWriter w = new FileWriter(file, true)) {
                            w.write(REQUESTS.get() + "\n");
                        }
                    } catch (InterruptedException | IOException e) {
                        return;
                    }
                }
            }, "stats");
            stats.setDaemon(true);
            stats.start();
        }
    }
}
