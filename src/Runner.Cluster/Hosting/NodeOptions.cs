using Runner.Cluster.Workers;

namespace Runner.Cluster.Hosting;

/// <summary>How one Runner process joins the cluster and what it hosts.</summary>
public sealed record NodeOptions
{
    public string Host { get; init; } = "127.0.0.1";
    /// <summary>0 picks a free port.</summary>
    public int Port { get; init; }
    /// <summary>Akka addresses (akka.tcp://runner@host:port, akka.ssl.tcp:// with TLS) to join; empty = this node starts a new cluster.</summary>
    public IReadOnlyList<string> SeedNodes { get; init; } = Array.Empty<string>();
    /// <summary>"coordinator" (sweeps, pool, persistence) and/or "worker" (TrialWorkers).</summary>
    public IReadOnlyList<string> Roles { get; init; } = new[] { NodeRoles.Coordinator, NodeRoles.Worker };
    public required string StateFolder { get; init; }
    /// <summary>Where a coordinator's journal, sharding state and results live; null: SQLite in <see cref="StateFolder"/>.</summary>
    public Runner.Results.StoreLocation? Store { get; init; }
    public Runner.Results.StoreLocation StoreLocation => Store ?? Runner.Results.StoreLocation.InFolder(StateFolder);
    /// <summary>One TrialWorker per entry: "cpu", "cuda:0", ...</summary>
    public IReadOnlyList<string> Devices { get; init; } = Array.Empty<string>();
    /// <summary>Torch threads each worker's trials use (0: not known); shown in the list of workers.</summary>
    public int ThreadsPerWorker { get; init; }
    /// <summary>Builds the trainer for one worker's device (required when this node is a worker).</summary>
    public Func<string, TrialExecutor>? Executor { get; init; }
    /// <summary>Console log level (stderr); the log file in the state folder always gets debug.</summary>
    public Serilog.Events.LogEventLevel ConsoleLogLevel { get; init; } = Serilog.Events.LogEventLevel.Information;
    /// <summary>
    /// The coordinator's HTTP API as workers reach it (they fetch and store artifacts there); null when every worker
    /// shares this coordinator's state folder (`runner run`).
    /// </summary>
    public string? ArtifactsUrl { get; init; }
    /// <summary>Mutual TLS for remoting (`--tls`): null speaks plain TCP.</summary>
    public Runner.Cluster.Security.ClusterTls? Tls { get; init; }
    /// <summary>Extra HOCON that wins over everything else (tests use it for serialize-messages).</summary>
    public string ExtraConfig { get; init; } = "";

    public bool IsCoordinator => Roles.Contains(NodeRoles.Coordinator);
    public bool IsWorker => Roles.Contains(NodeRoles.Worker);
    public bool IsStandby => Roles.Contains(NodeRoles.Standby);
    /// <summary>
    /// A folder for the coordinator's artifacts (bases, uploads, checkpoints); null: in the PostgreSQL store's
    /// database when there is one (so a standby that takes over finds them), else in the state folder.
    /// </summary>
    public string? ArtifactsFolder { get; init; }
    /// <summary>The coordinator's content-addressed artifact store.</summary>
    public string ArtifactStoreFolder => Runner.Artifacts.ArtifactSource.StoreFolder(ArtifactsFolder ?? Runner.Artifacts.ArtifactSource.FolderIn(StateFolder));
}

public static class NodeRoles
{
    public const string Coordinator = "coordinator";
    public const string Worker = "worker";
    /// <summary>A coordinator waiting for the store's lease: in the cluster, hosting nothing, serving the API.</summary>
    public const string Standby = "standby";
    public const string SystemName = "runner";
}
