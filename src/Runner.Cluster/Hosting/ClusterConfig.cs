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
        string seeds = string.Join(", ", o.SeedNodes.Select(Quote));
        string roles = string.Join(", ", o.Roles.Select(Quote));
        var given = ConfigurationFactory.ParseString($$"""
            akka.remote.dot-netty.tcp.hostname = {{Quote(o.Host)}}
            akka.remote.dot-netty.tcp.port = {{o.Port}}
            akka.remote.dot-netty.tcp.enable-ssl = {{(o.Tls != null ? "on" : "off")}}
            akka.cluster.seed-nodes = [{{seeds}}]
            akka.cluster.roles = [{{roles}}]
            {{Persistence(o.StoreLocation)}}
            """);
        // RUNNER_AKKA_CONFIG: HOCON for operators and tests (the end-to-end tests turn on serialize-messages with it).
        string fromEnvironment = Environment.GetEnvironmentVariable("RUNNER_AKKA_CONFIG") ?? "";
        var extra = ConfigurationFactory.ParseString(o.ExtraConfig + "\n" + fromEnvironment).WithFallback(ConfigurationFactory.ParseString(RunnerLogging.AkkaConfig));
        // The SQL plugin's own defaults (classes, table mappings) sit under everything we set.
        return extra.WithFallback(given).WithFallback(fromFiles).WithFallback(Akka.Persistence.Sql.SqlPersistence.DefaultConfiguration);
    }

    /// <summary>
    /// The journals' places: SQLite files in the state folder (one for the sweeps, one for sharding), or the tables
    /// of one PostgreSQL database (sharding's with their own names).
    /// </summary>
    static string Persistence(Runner.Results.StoreLocation store)
    {
        if (store.PostgresConnection is not { } pg)
        {
            string journal = Quote(Sqlite(Path.Combine(store.StateFolder, "journal.db"))), sharding = Quote(Sqlite(Path.Combine(store.StateFolder, "sharding.db")));
            return $$"""
                akka.persistence.journal.sql.connection-string = {{journal}}
                akka.persistence.snapshot-store.sql.connection-string = {{journal}}
                akka.persistence.journal.sharding.connection-string = {{sharding}}
                akka.persistence.snapshot-store.sharding.connection-string = {{sharding}}
                """;
        }
        string c = Quote(pg);
        const string provider = "provider-name = \"PostgreSQL.15\"";
        return $$"""
            akka.persistence.journal.sql { connection-string = {{c}}, {{provider}} }
            akka.persistence.snapshot-store.sql { connection-string = {{c}}, {{provider}} }
            akka.persistence.journal.sharding {
              connection-string = {{c}}, {{provider}}
              default.journal.table-name = "sharding_journal", default.metadata.table-name = "sharding_journal_metadata", default.tag.table-name = "sharding_tags"
            }
            akka.persistence.snapshot-store.sharding {
              connection-string = {{c}}, {{provider}}
              default.snapshot.table-name = "sharding_snapshot"
            }
            """;
    }

    static string Sqlite(string file) => new SqliteConnectionStringBuilder { DataSource = file, Pooling = true }.ToString();

    static string Quote(string s) => "\"" + s.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"";
}
