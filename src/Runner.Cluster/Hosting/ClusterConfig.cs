using Akka.Configuration;
using Microsoft.Data.Sqlite;

namespace Runner.Cluster.Hosting;

/// <summary>
/// Builds a node's configuration: cluster-config/base.conf plus the files of its roles (shipped next to the
/// program), under the values given at start (host, port, seeds, roles, journal files), which win.
/// </summary>
public static class ClusterConfig
{
    public static string Folder => Path.Combine(AppContext.BaseDirectory, "cluster-config");

    public static Config For(NodeOptions o)
    {
        var files = new List<string> { "base.conf" };
        files.AddRange(o.Roles.Select(r => r + ".conf"));
        Config fromFiles = Config.Empty;
        foreach (string file in files)
        {
            string path = Path.Combine(Folder, file);
            if (!File.Exists(path)) throw new FileNotFoundException($"cluster configuration missing: {path}");
            fromFiles = fromFiles.WithFallback(ConfigurationFactory.ParseString(File.ReadAllText(path)));
        }
        string journal = Sqlite(Path.Combine(o.StateFolder, "journal.db"));
        string sharding = Sqlite(Path.Combine(o.StateFolder, "sharding.db"));
        string seeds = string.Join(", ", o.SeedNodes.Select(Quote));
        string roles = string.Join(", ", o.Roles.Select(Quote));
        var given = ConfigurationFactory.ParseString($$"""
            akka.remote.dot-netty.tcp.hostname = {{Quote(o.Host)}}
            akka.remote.dot-netty.tcp.port = {{o.Port}}
            akka.remote.dot-netty.tcp.enable-ssl = {{(o.Tls != null ? "on" : "off")}}
            akka.cluster.seed-nodes = [{{seeds}}]
            akka.cluster.roles = [{{roles}}]
            akka.persistence.journal.sql.connection-string = {{Quote(journal)}}
            akka.persistence.snapshot-store.sql.connection-string = {{Quote(journal)}}
            akka.persistence.journal.sharding.connection-string = {{Quote(sharding)}}
            akka.persistence.snapshot-store.sharding.connection-string = {{Quote(sharding)}}
            """);
        // RUNNER_AKKA_CONFIG: HOCON for operators and tests (the end-to-end tests turn on serialize-messages with it).
        string fromEnvironment = Environment.GetEnvironmentVariable("RUNNER_AKKA_CONFIG") ?? "";
        var extra = ConfigurationFactory.ParseString(o.ExtraConfig + "\n" + fromEnvironment).WithFallback(ConfigurationFactory.ParseString(RunnerLogging.AkkaConfig));
        // The SQL plugin's own defaults (classes, table mappings) sit under everything we set.
        return extra.WithFallback(given).WithFallback(fromFiles).WithFallback(Akka.Persistence.Sql.SqlPersistence.DefaultConfiguration);
    }

    static string Sqlite(string file) => new SqliteConnectionStringBuilder { DataSource = file, Pooling = true }.ToString();

    static string Quote(string s) => "\"" + s.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"";
}
