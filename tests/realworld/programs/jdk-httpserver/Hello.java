// A hello server on the JDK's built-in com.sun.net.httpserver, with a fixed pool of four
// handler threads.
//
// Usage: java Hello PORT
import com.sun.net.httpserver.HttpServer;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;

public class Hello {
    private static final byte[] BODY = "hello from com.sun.net.httpserver\n".getBytes(StandardCharsets.US_ASCII);

    public static void main(String[] args) throws Exception {
        if (args.length != 1) {
            System.err.println("usage: java Hello PORT");
            System.exit(2);
        }
        int port = Integer.parseInt(args[0]);
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 128);
        server.createContext("/", exchange -> {
            exchange.getRequestBody().readAllBytes();
            exchange.getResponseHeaders().set("Content-Type", "text/plain");
            exchange.sendResponseHeaders(200, BODY.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(BODY);
            }
        });
        server.setExecutor(Executors.newFixedThreadPool(4));
        server.start();
    }
}
