// Start one real Elasticsearch 8.14 node in this JVM for coopwatch's tests (security off, localhost only).
//
// Run by scripts/es.sh in Java's single-file source mode:
//   java -cp "$(cat classpath)" es/EsNode.java BASE_PATH HTTP_PORT TRANSPORT_PORT
// The node loads the Netty4 HTTP/transport module from the classpath and registers the stock `english`
// and `cjk` analyzers (the same Lucene analyzers the analysis-common module wraps, which Maven Central
// does not carry). It runs until the process is terminated; a shutdown hook closes it cleanly.

import java.lang.reflect.Constructor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.apache.lucene.analysis.Analyzer;
import org.apache.lucene.analysis.cjk.CJKAnalyzer;
import org.apache.lucene.analysis.en.EnglishAnalyzer;
import org.elasticsearch.common.logging.LogConfigurator;
import org.elasticsearch.common.settings.Settings;
import org.elasticsearch.env.Environment;
import org.elasticsearch.index.analysis.AbstractIndexAnalyzerProvider;
import org.elasticsearch.index.analysis.AnalyzerProvider;
import org.elasticsearch.indices.analysis.AnalysisModule.AnalysisProvider;
import org.elasticsearch.node.InternalSettingsPreparer;
import org.elasticsearch.node.MockNode;
import org.elasticsearch.node.Node;
import org.elasticsearch.plugins.AnalysisPlugin;
import org.elasticsearch.plugins.Plugin;
import org.elasticsearch.transport.netty4.Netty4Plugin;

public class EsNode {

    public static void main(String[] args) throws Exception {
        if (args.length != 3) {
            System.err.println("usage: EsNode BASE_PATH HTTP_PORT TRANSPORT_PORT");
            System.exit(2);
        }
        Path home = Path.of(args[0]).toAbsolutePath();
        Files.createDirectories(home.resolve("config"));
        Settings settings = nodeSettings(home, args[1], args[2]);
        LogConfigurator.configureESLogging();
        LogConfigurator.configureWithoutConfig(settings);
        Node node = newNode(settings, home.resolve("config"));
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> closeNode(node, stopped)));
        node.start();
        System.out.println("coopwatch es node started: http://127.0.0.1:" + args[1]);
        stopped.await();
    }

    /** Build a node with classpath plugins, bypassing the test framework's randomized-testing bootstrap. */
    static Node newNode(Settings settings, Path configDir) throws Exception {
        Environment env = InternalSettingsPreparer.prepareEnvironment(settings, Map.of(), configDir, () -> "coopwatch-es");
        Constructor<MockNode> ctor = MockNode.class.getDeclaredConstructor(Environment.class, Collection.class, boolean.class);
        ctor.setAccessible(true);
        Collection<Class<? extends Plugin>> plugins = List.of(Netty4Plugin.class, LanguageAnalyzersPlugin.class);
        return ctor.newInstance(env, plugins, false);
    }

    static Settings nodeSettings(Path home, String httpPort, String transportPort) {
        return Settings.builder()
            .put("path.home", home.toString())
            .put("path.data", home.resolve("data").toString())
            .put("path.logs", home.resolve("logs").toString())
            .put("cluster.name", "coopwatch-test")
            .put("node.name", "coopwatch-es-" + httpPort)
            .put("network.host", "127.0.0.1")
            .put("http.port", httpPort)
            .put("transport.port", transportPort)
            .put("discovery.type", "single-node")
            .put("cluster.routing.allocation.disk.threshold_enabled", false)
            .put("action.auto_create_index", true)
            .build();
    }

    static void closeNode(Node node, CountDownLatch stopped) {
        try {
            node.close();
            node.awaitClose(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            e.printStackTrace();
        } finally {
            stopped.countDown();
        }
    }

    /** Registers the stock language analyzers coopwatch's index template uses. */
    public static class LanguageAnalyzersPlugin extends Plugin implements AnalysisPlugin {
        @Override
        public Map<String, AnalysisProvider<AnalyzerProvider<? extends Analyzer>>> getAnalyzers() {
            return Map.of(
                "english", (indexSettings, env, name, settings) -> new Fixed<>(name, settings, new EnglishAnalyzer()),
                "cjk", (indexSettings, env, name, settings) -> new Fixed<>(name, settings, new CJKAnalyzer())
            );
        }
    }

    /** An analyzer provider that hands out one prebuilt Lucene analyzer. */
    public static class Fixed<T extends Analyzer> extends AbstractIndexAnalyzerProvider<T> {
        private final T analyzer;

        Fixed(String name, Settings settings, T analyzer) {
            super(name, settings);
            this.analyzer = analyzer;
        }

        @Override
        public T get() {
            return analyzer;
        }
    }
}
