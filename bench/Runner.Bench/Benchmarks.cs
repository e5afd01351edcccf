using Runner.Cli;
using Runner.Training.Data;

namespace Runner.Bench;

/// <summary>
/// The verbs of `runner-bench`: each benchmark prints one JSON line per measurement and a human summary; every figure
/// has its peer or baseline, run in the same command (docs/benchmarks.md has the figures of a 2-core machine).
/// </summary>
public sealed class Benchmark(string name, string summary, string description, OptionSpec[] options, Func<Arguments, CliContext, int> run) : ICommand
{
    public string Name => name;
    public string Summary => summary;
    public string Description => description;
    public IReadOnlyList<OptionSpec> Options => options.Concat(Common).ToArray();

    static readonly OptionSpec[] Common =
    {
        new("data", "DIR", "Fashion-MNIST folder (default: the usual search)"),
        new("python", "PATH", "interpreter with torch / optuna for the peer [/usr/bin/python3]; \"none\" skips it"),
    };

    public int Execute(Arguments args, CliContext context)
    {
        args.NoPositional();
        try { return run(args, context); }
        // Interrupted: the child processes were stopped (see RunnerProcesses), so whatever failed next is not news.
        catch (Exception e) when (e is not OperationCanceledException && context.Cancel.IsCancellationRequested)
        {
            throw new OperationCanceledException("interrupted", e);
        }
    }

    static string Python(Arguments args) => args.Get("python") ?? "/usr/bin/python3";

    /// <summary>--threads LIST: the thread counts to measure, 1,2 by default.</summary>
    static int[] ThreadCounts(Arguments args) => (args.Get("threads") ?? "1,2").Split(',').Select(t =>
        int.TryParse(t, out int n) && n > 0 ? n : throw new UsageException($"--threads: '{t}' is not a positive whole number")).ToArray();

    static string SweepPath(Arguments args, CliContext context, string fallback) =>
        Path.GetFullPath(Path.Combine(context.WorkingDirectory, args.Get("sweep") ?? fallback));

    public static readonly CliApp.Program Program = new("runner-bench",
        "Runner's benchmarks, each beside its peer (PyTorch, Optuna) or baseline; not part of the product.", new ICommand[]
        {
            new Benchmark("trainer", "training images/s of convnet4, Runner vs PyTorch", """
                Training images per second of convnet4 (freeze depth 0, Adam) on the target classes' training images,
                after one untimed warm-up epoch, for each thread count; then the same network and loop in PyTorch
                (bench/convnet4_torch.py, plain and channels-last) and the ratios.
                """, new OptionSpec[]
                {
                    new("threads", "LIST", "thread counts [1,2]"),
                    new("epochs", "N", "timed epochs [2]"),
                    new("batch-size", "B", "[64]"),
                }, (args, context) =>
            {
                return new TrainerBench(context).Run(DataLocator.Locate(args.Get("data"), null), ThreadCounts(args), args.Int("epochs", 1) ?? 2,
                    args.Int("batch-size", 1) ?? 64, Python(args));
            }),
            new Benchmark("data", "the image pipeline at scale: decode once, the loader against the trainer, a sweep's peak memory", """
                Decodes every image folder under --folder (itself, or each sub-folder that is one, such as the source/
                and target/ of scripts/make_image_folder.py) once at --size px into a fresh pixel cache: time and cache
                size. Then reads up to 10,000 images of the largest training split in shuffled batches through the
                streaming loader (as a trial does), against the images/s ResNet-18 trains at that size; with --sweep,
                runs `runner run FILE` and reports its trainer process's peak private memory (RssAnon).
                """, new OptionSpec[]
                {
                    new("folder", "DIR", "the image folder(s)"),
                    new("size", "PX", "image side [224]"),
                    new("threads", "N", "torch threads [2]"),
                    new("batch-size", "N", "batch size [64]"),
                    new("sweep", "FILE", "a sweep file to run for its peak memory"),
                }, (args, context) =>
            {
                string folder = args.Get("folder") ?? throw new UsageException("--folder is required");
                string? sweep = args.Get("sweep") is { } f ? Path.GetFullPath(f, context.WorkingDirectory) : null;
                return new DataBench(context).Run(Path.GetFullPath(folder, context.WorkingDirectory), args.Int("size", 8) ?? 224, args.Int("threads", 1) ?? 2,
                    args.Int("batch-size", 1) ?? 64, sweep);
            }),
            new Benchmark("zoo", "training images/s of torchvision models and TorchScript backbones, Runner vs PyTorch", """
                Training images per second (freeze depth 0, Adam, a new 5-class head, batches of 32) of each --models
                entry on random RGB images of --size px, after one untimed warm-up epoch, per thread count; then the same
                in PyTorch (bench/torchvision_torch.py, plain and channels-last) and the ratios. An entry ending in .pt is
                a TorchScript backbone (scripts/export_torchscript_backbone.py writes one).
                """, new OptionSpec[]
                {
                    new("models", "LIST", "built-in models and TorchScript files [resnet50,vgg16]"),
                    new("threads", "LIST", "thread counts [1,2]"),
                    new("size", "PX", "image side [64]"),
                    new("images", "N", "images per epoch [256]"),
                }, (args, context) =>
            {
                var models = (args.Get("models") ?? "resnet50,vgg16").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
                    .Select(m => m.EndsWith(".pt", StringComparison.OrdinalIgnoreCase) ? Path.GetFullPath(m, context.WorkingDirectory) : m).ToArray();
                return new ZooBench(context).Run(models, ThreadCounts(args), args.Int("size", 8) ?? 64, args.Int("images", 32) ?? 256, Python(args));
            }),
            new Benchmark("precision", "bf16 autocast against float32: speed beside PyTorch's, accuracy over seeds", """
                Training images/s of convnet4 (Fashion-MNIST) and ResNet-18 (random 64-px RGB images) in float32 and
                under bf16 autocast, each beside PyTorch's same loop (bench/convnet4_torch.py, bench/torchvision_torch.py,
                channels-last, --bf16 for torch.autocast); then the test accuracy of scratch trials (3 epochs, 100
                images per class) in both precisions over --seeds seeds: convnet4 on the data, ResNet-18 on --folder.
                """, new OptionSpec[]
                {
                    new("folder", "DIR", "an image folder for ResNet-18's accuracy (scripts/make_image_folder.py; its target/ folder)"),
                    new("seeds", "N", "seeds per precision [8]"),
                    new("threads", "N", "torch threads [2]"),
                }, (args, context) => BenchFolder.Use("precision", folder =>
                    new PrecisionBench(context).Run(DataLocator.Locate(args.Get("data"), null),
                        args.Get("folder") is { } f ? Path.GetFullPath(Path.Combine(context.WorkingDirectory, f)) : null,
                        args.Int("seeds", 2) ?? 8, args.Int("threads", 1) ?? 2, Python(args), folder))),
            new Benchmark("isolation", "what a trainer process costs a trial, and each network's speed under each oneDNN setting", """
                Tiny real trials alternately in this process and through one trainer process (`runner trainer-process`,
                as every worker runs them): the median per-trial time of each and the first trial's, which starts the
                process. Then, per --models, training images/s (scratch, second epoch) in a `runner trial` process with
                oneDNN as shipped, with Runner's guard (LibTorch's own convolutions) and with oneDNN capped at AVX.
                """, new OptionSpec[]
                {
                    new("trials", "N", "tiny trials each way [20]"),
                    new("threads", "N", "[1]"),
                    new("models", "LIST", "networks to time under each setting [convnet4,resnet18,resnet50]"),
                }, (args, context) =>
                new IsolationBench(context).Run(DataLocator.Locate(args.Get("data"), null), args.Int("trials", 1) ?? 20, args.Int("threads", 1) ?? 1,
                    (args.Get("models") ?? "convnet4,resnet18,resnet50").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))),
            new Benchmark("frozen-sweep", "a frozen grid with and without feature reuse, vs a PyTorch loop", """
                The grid of a sweep file, its first seed only, trial after trial in this process: with frozen-prefix
                feature reuse, without it, and as a plain PyTorch loop (bench/transfer_grid_torch.py); the base is
                pretrained once first and timed apart.
                """, new OptionSpec[]
                {
                    new("sweep", "FILE", "[experiments/fashion-transfer.yaml]"),
                    new("epochs", "N", "overrides the file's epochs to keep the run short"),
                    new("threads", "N", "[all cores]"),
                }, (args, context) =>
                new FrozenSweepBench(context).Run(new FrozenSweepBench.Options(
                    SweepPath(args, context, "experiments/fashion-transfer.yaml"),
                    args.Int("epochs", 1), args.Int("threads", 1) ?? Environment.ProcessorCount, args.Get("data"), Python(args)))),
            new Benchmark("sampler", "trials each sampler needs to reach a cell's best on a table of real trials, Runner's TPE vs Optuna's", """
                Runner's TPE and random search, and Optuna's TPE (bench/sampler_optuna.py, its defaults), each propose
                a learning rate and a weight decay for every cell of --table (real trials: experiments/sampler-grid.yaml,
                made into a table by bench/sampler_table.py), snapped to the grid and scored from the table; for each
                of --repeats seeds, the number of trials until one comes within --tolerance of the cell's best
                validation accuracy (budget + 1 when none does). Prints the median per cell and over cells.
                """, new OptionSpec[]
                {
                    new("table", "CSV", "[bench/sampler-table.csv]"),
                    new("repeats", "N", "seeds per cell and sampler [50]"),
                    new("tolerance", "X", "as a fraction of accuracy [0.005]"),
                    new("budget", "N", "trials before giving up [48]"),
                }, (args, context) =>
                new SamplerBench(context).Run(Path.GetFullPath(Path.Combine(context.WorkingDirectory, args.Get("table") ?? "bench/sampler-table.csv")),
                    args.Int("repeats", 1) ?? 50, double.Parse(args.Get("tolerance") ?? "0.005", System.Globalization.CultureInfo.InvariantCulture),
                    args.Int("budget", 1) ?? 48, Python(args))),
            new Benchmark("bookkeeping", "trials/s through coordinator, journal and workers with no training, vs Optuna", """
                Trials per second through the whole path (submit, sweep actor and its SQLite journal, pool, worker
                processes, results store) with a trainer that returns at once: a `runner coordinator` and --workers
                no-op worker processes (`runner-bench worker`) on loopback run a generated --trials grid; duplicates =
                attempts beyond one per trial. Then --slow-trials trials of --trial-seconds each give the overhead per
                trial. Then Optuna (GridSampler, SQLite, as many processes, bench/optuna_grid.py) on a --peer-trials grid.
                """, new OptionSpec[]
                {
                    new("trials", "N", "[10000]"),
                    new("workers", "N", "worker processes [2]"),
                    new("slots", "N", "trial workers each [1]"),
                    new("slow-trials", "N", "[20]"),
                    new("trial-seconds", "S", "[1]"),
                    new("peer-trials", "N", "[1000; 0 skips Optuna]"),
                    OptionSpec.Flag("tls", "also run the no-op sweep on a cluster speaking mutual TLS everywhere (nodes, API, client): the ratio is TLS's cost"),
                    new("store", "URL", "a PostgreSQL server (postgresql://USER@HOST:PORT/DB, a user that may create databases): the coordinator's store is a fresh database there"),
                }, (args, context) =>
            {
                double seconds = args.Real("trial-seconds") ?? 1;
                if (seconds <= 0) throw new UsageException("--trial-seconds must be > 0");
                return new BookkeepingBench(context).Run(new BookkeepingBench.Options(args.Int("trials", 1) ?? 10_000, args.Int("workers", 1) ?? 2,
                    args.Int("slow-trials", 1) ?? 20, seconds, args.Int("peer-trials", 0) ?? 1000, Python(args), args.Get("data"), args.Int("slots", 1) ?? 1,
                    args.Has("tls"), args.Get("store")));
            }),
            new Benchmark("recovery", "time from a coordinator's start to `status` answering, with and without snapshots", """
                For each size: a `runner coordinator` and --workers no-op worker processes (--slots trial workers each)
                run a generated sweep of that many trials of --trial-seconds each to its end (trials of 0.05 s or more
                are dispatched and recorded one by one, as real trials are); then the coordinator is killed (SIGKILL) and started again on the same state
                folder, and the time from its start to the first answer of `GET /sweeps/ID` (what `runner status`
                asks) is measured, with snapshots (the default) and with snapshots turned off (the whole journal
                replayed). Then the same for a sweep killed half-way (workers and coordinator killed at half the
                trials done).
                """, new OptionSpec[]
                {
                    new("trials", "LIST", "sweep sizes [10000,100000]"),
                    new("workers", "N", "no-op worker processes [2]"),
                    new("slots", "N", "trial workers in each [8]"),
                    new("trial-seconds", "S", "[0.06]"),
                    new("store", "URL", "a PostgreSQL server (postgresql://USER@HOST:PORT/DB, a user that may create databases): each run's store is a fresh database there"),
                }, (args, context) =>
                new RecoveryBench(context).Run(new RecoveryBench.Options((args.Get("trials") ?? "10000,100000").Split(',').Select(t =>
                    int.TryParse(t, out int n) && n > 0 ? n : throw new UsageException($"--trials: '{t}' is not a positive whole number")).ToArray(),
                    args.Int("workers", 1) ?? 2, args.Int("slots", 1) ?? 8, args.Real("trial-seconds") ?? 0.06, args.Get("data"), args.Get("store")))),
            new Benchmark("takeover", "time from kill -9 of the active coordinator to the standby handing out the next trial", """
                Two `runner coordinator` processes on one PostgreSQL store (a fresh database on --store): one active,
                one standing by (--peers); --workers no-op worker processes (--slots trial
                workers each) with both as seed nodes run a long sweep of --trial-seconds trials. Each round kills the
                active coordinator (SIGKILL) and reads from the journal when the next trial was handed out (its
                TrialStarted event), then starts the killed one again as the standby. Ends with a check that no sweep's
                journal had two writers.
                """, new OptionSpec[]
                {
                    new("store", "URL", "a PostgreSQL server (postgresql://USER@HOST:PORT/DB, a user that may create databases) [required]"),
                    new("repeats", "N", "kills [5]"),
                    new("workers", "N", "no-op worker processes [2]"),
                    new("slots", "N", "trial workers in each [2]"),
                    new("trial-seconds", "S", "[1]"),
                }, (args, context) =>
                new TakeoverBench(context).Run(new TakeoverBench.Options(args.Get("store") ?? throw new UsageException("--store postgresql://USER@HOST:PORT/DB is required"),
                    args.Int("repeats", 1) ?? 5, args.Int("workers", 1) ?? 2, args.Int("slots", 1) ?? 2, args.Real("trial-seconds") ?? 1, args.Get("data")))),
            new Benchmark("scaling", "wall time of a sweep on 1 and 2 workers, embedded and as processes", """
                Wall time of a sweep with `runner run --workers 1` and 2 (the cores split between the workers), then
                with a coordinator and 1 or 2 worker processes; each from an empty state folder.
                """, new OptionSpec[]
                {
                    new("sweep", "FILE", "[experiments/quickstart.yaml]"),
                }, (args, context) =>
                new ScalingBench(context).Run(SweepPath(args, context, "experiments/quickstart.yaml"), args.Get("data"))),
            new Benchmark("memory", "resident memory over hundreds of small trials in one process", """
                --trials small trials (10 images a class, one epoch; freeze depths 0, 2, 4 in turn, so feature reuse and
                the full network alternate) in this process, the same code a worker runs; resident memory (RSS) after
                trial 60 and every 30 after, and the growth from trial 60 to the last sample.
                """, new OptionSpec[]
                {
                    new("trials", "N", "[500]"),
                }, (args, context) => new MemoryBench(context).Run(args.Int("trials", 60) ?? 500, args.Get("data"))),
            new Benchmark("artifacts", "a large artifact up to a coordinator and back: throughput and extra memory", """
                Starts a real coordinator (`runner coordinator`) and moves one --mib MiB file of random bytes to its
                artifact store and back over loopback, with the client workers and `runner submit` use; prints MiB/s
                each way and the peak resident memory each side added during each transfer.
                """, new OptionSpec[]
                {
                    new("mib", "N", "artifact size in MiB [1024]"),
                    new("store", "URL", "a PostgreSQL server (postgresql://USER@HOST:PORT/DB, a user that may create databases): the artifacts go to a fresh database there instead of a folder"),
                }, (args, context) => new ArtifactBench(context).Run(args.Int("mib", 1) ?? 1024, args.Get("store"))),
            new Benchmark("soak", "sweeps under random kill -9 and partitions on a multi-host bed, then a calm reference", """
                Builds hosts from network namespaces (root; see HostBed): a coordinator and --workers worker hosts
                sharing nothing but the network. Runs small real sweeps one after another for --minutes while, every
                15-40 s, a worker host is killed with SIGKILL (and started again empty), cut off the network for
                10-25 s, or the coordinator is killed with SIGKILL (and started again on its state). Then it heals,
                lets the last sweep finish and reruns the same sweeps calmly with `runner run` for reference. Prints
                trials planned, completed once, duplicated, lost, failed, and final test accuracies that differ from
                the calm run. Exit 1 when anything was lost, duplicated or failed.
                """, new OptionSpec[]
                {
                    new("minutes", "M", "how long the chaos lasts [15]"),
                    new("workers", "N", "worker hosts [2]"),
                    new("seed", "S", "seed of the chaos schedule [1]"),
                }, (args, context) => new SoakBench(context).Run(args.Real("minutes") ?? 15, args.Int("workers", 1) ?? 2, args.Int("seed", 0) ?? 1,
                    DataLocator.Locate(args.Get("data"), null, allowDownload: false))),
            new Benchmark("hosts", "how much of a multi-host cluster a sweep of fixed-length trials uses", """
                Builds a coordinator host and --hosts worker hosts from network namespaces (root), each worker host with
                --slots no-op trial workers whose trials last --trial-seconds; submits --trials trials and prints the
                wall time against the ideal (trials / slots, rounded up, × trial seconds).
                """, new OptionSpec[]
                {
                    new("hosts", "N", "worker hosts [3]"),
                    new("slots", "N", "trial workers per host [4]"),
                    new("trials", "N", "[240]"),
                    new("trial-seconds", "S", "[1]"),
                }, (args, context) => new HostsBench(context).Run(args.Int("hosts", 1) ?? 3, args.Int("slots", 1) ?? 4, args.Int("trials", 1) ?? 240,
                    args.Real("trial-seconds") ?? 1, args.Get("data"))),
            new Benchmark("base", "building a pretrained base once per cluster: build time vs another host's fetch", """
                A coordinator host and two worker hosts (network namespaces, root) run a pretrained sweep: one host
                pretrains convnet4 for --epochs on the source classes (the sweep's base task) and stores the base,
                the other fetches it; prints both times from the hosts' logs.
                """, new OptionSpec[]
                {
                    new("epochs", "N", "pretraining epochs [3]"),
                }, (args, context) => new BaseBench(context).Run(args.Int("epochs", 1) ?? 3, DataLocator.Locate(args.Get("data"), null, allowDownload: false))),
            new Benchmark("checkpoint-copy", "what copying each epoch's checkpoint to the coordinator costs a trial", """
                The same convnet4 trial run alternately with its checkpoints copied to a real coordinator after every
                epoch (as on a worker of a remote coordinator) and without; median trial time of each and the overhead.
                """, new OptionSpec[]
                {
                    new("per-class", "N", "training images per class [1000]"),
                    new("epochs", "N", "[5]"),
                    new("repeats", "N", "runs of each [3]"),
                }, (args, context) => new CheckpointCopyBench(context).Run(args.Int("per-class", 1) ?? 1000, args.Int("epochs", 1) ?? 5,
                    args.Int("repeats", 1) ?? 3, DataLocator.Locate(args.Get("data"), null, allowDownload: false))),
            NoOpTrainer.Worker(),
            new Runner.Cli.Commands.CompletionCommand("runner-bench"),
        });
}
