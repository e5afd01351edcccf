using Runner.Artifacts;
using Runner.Cluster.Hosting;
using Runner.Cluster.Workers;

namespace Runner.Cli.Commands;

/// <param name="trainer">how this process's workers run trials: the TorchSharp trainer, or the benchmarks' stand-in</param>
/// <param name="extraOptions">options that trainer reads</param>
public sealed class WorkerCommand(WorkerCommand.Trainer? trainer = null, IReadOnlyList<OptionSpec>? extraOptions = null) : ICommand
{
    /// <summary>The trial executor of each device, given the command line, the state folder and the threads per worker.</summary>
    public delegate Func<string, TrialExecutor> Trainer(Arguments args, string stateFolder, int threads);

    static readonly Trainer Torch = (args, state, threads) =>
        new TrainerSettings(state, args.Get("data"), null, threads, args.Has("tensorboard"),
            (long)((args.Real("cache-gb") ?? ArtifactCache.DefaultMaxBytes / (double)(1L << 30)) * (1L << 30)), ClusterWiring.TlsPath(args))
        .InTrainerProcesses(m => Serilog.Log.Information("{Message}", m));

    readonly Trainer _trainer = trainer ?? Torch;

    public string Name => "worker";
    public string Summary => "join a cluster with one trial worker per device";
    public string Description => """
        Joins the cluster of the coordinator at the seed nodes and runs one TrialWorker per device. Add machines
        while a sweep runs: new workers get work at once. If the coordinator goes away (restart, crash), the worker
        keeps trying to join it again; trials it was running are re-queued by the coordinator. A worker runs the
        trials of sweeps whose resources.device its device serves. Environment variables in brackets.
        """;
    public IReadOnlyList<OptionSpec> Options => new OptionSpec[]
    {
        new("seed-nodes", "LIST", "coordinator addresses, HOST:PORT[,HOST:PORT] [RUNNER_SEED_NODES]"),
        new("devices", "LIST", "cpu,cpu or cuda:0,cuda:1 (default: one per GPU, else --workers N CPU workers)"),
        new("workers", "N", "CPU workers when no GPU [1]"),
        new("threads", "N", "torch threads per worker (default: the cores split between CPU workers)"),
        new("host", "H", "this node's address [RUNNER_HOST, default 127.0.0.1]"),
        new("port", "P", "this node's port [RUNNER_PORT, default 0 = any free port]"),
        new("data", "DIR", "Fashion-MNIST folder on this machine (else $RUNNER_DATA and the usual search)"),
        new("state", "DIR", "where this worker keeps artifacts (base checkpoints) [RUNNER_STATE, default .runner]"),
        new("join-timeout", "S", "give up when the first join takes longer [30]"),
        new("cache-gb", "N", "at most this many GiB of artifacts fetched from the coordinator are kept here, least recently used go first [20]"),
        OptionSpec.Flag("tensorboard", "write TensorBoard event files per trial under STATE/tensorboard"),
        ClusterWiring.TlsOption,
        ClusterWiring.InsecureOption,
    }.Concat(extraOptions ?? Array.Empty<OptionSpec>()).ToArray();

    public int Execute(Arguments args, CliContext context)
    {
        args.NoPositional();
        var tls = ClusterWiring.Tls(args);
        string host = ClusterWiring.Setting(args, "host", "RUNNER_HOST", "127.0.0.1");
        ClusterWiring.CheckExposure(args, tls, context, host);
        var seeds = ClusterWiring.SeedNodes(args, tls != null);
        if (seeds.Count == 0) throw new UsageException("--seed-nodes (or RUNNER_SEED_NODES) is required: the coordinator's HOST:PORT");
        var devices = ClusterWiring.Devices(args);
        int threads = ClusterWiring.ThreadsPerWorker(args, devices);
        string state = StateFolder.Resolve(args.Get("state"), context.WorkingDirectory);
        var options = new NodeOptions
        {
            Host = host,
            Port = ClusterWiring.Port(args, "port", "RUNNER_PORT", 0),
            SeedNodes = seeds,
            Roles = new[] { NodeRoles.Worker },
            StateFolder = state,
            Devices = devices, ThreadsPerWorker = threads,
            Executor = _trainer(args, state, threads),
            Tls = tls,
        };
        var joinTimeout = TimeSpan.FromSeconds(args.Int("join-timeout", 1) ?? 30);

        // Ctrl-C or SIGTERM stops it in every state: joining, working, or rejoining a coordinator that went.
        var exit = new WorkerMembership(() => RunnerNode.Start(options), joinTimeout, portOfItsOwn: options.Port == 0,
            joined: (node, again) =>
            {
                context.Out.WriteLine(again ? $"worker rejoined: {node.Address}"
                    : $"worker up: {node.Address}, {devices.Count} device(s) [{string.Join(", ", devices)}], {threads} thread(s) each");
                context.Out.Flush();
            },
            said: line => { context.Out.WriteLine(line); context.Out.Flush(); }).Run(context.Cancel);
        if (exit == WorkerExit.NeverJoined)
        {
            context.Error.WriteLine($"runner worker: cannot join the cluster at {string.Join(", ", seeds)} within {joinTimeout.TotalSeconds:F0}s (is the coordinator running there?)");
            return 1;
        }
        return 0;
    }
}
