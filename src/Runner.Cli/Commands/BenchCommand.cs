using Runner.Cli.Bench;
using Runner.Training.Data;

namespace Runner.Cli.Commands;

public sealed class BenchCommand : ICommand
{
    public string Name => "bench";
    public string Summary => "benchmarks beside their peers (PyTorch, Optuna): trainer, frozen-sweep, bookkeeping, scaling, memory";
    public string Help => """
        Usage: runner bench trainer [--data DIR] [--threads 1,2] [--epochs N] [--batch-size B] [--python PATH]
               runner bench frozen-sweep [--sweep FILE] [--epochs N] [--threads N] [--data DIR] [--python PATH]
               runner bench bookkeeping [--trials N] [--workers N] [--slots N] [--slow-trials N] [--trial-seconds S] [--peer-trials N] [--python PATH]
               runner bench scaling [--sweep FILE] [--data DIR]
               runner bench memory [--trials N] [--data DIR]

        Each benchmark prints one JSON line per measurement and a human summary; every figure has its peer, run in the
        same command (docs/benchmarks.md has the figures of a 2-core machine).

        trainer: training images per second of convnet4 (freeze depth 0, Adam) on the target classes' training
        images, after one untimed warm-up epoch, for each thread count; then the same network and loop in PyTorch
        (bench/convnet4_torch.py) and the ratio.

        frozen-sweep: the grid of a sweep file (default experiments/fashion-transfer.yaml), its first seed only, trial
        after trial in this process: with frozen-prefix feature reuse, without it, and as a plain PyTorch loop
        (bench/transfer_grid_torch.py); the base is pretrained once first and timed apart. --epochs overrides the
        file's epochs to keep the run short.

        bookkeeping: trials per second through the whole path (submit, sweep actor and its SQLite journal, pool,
        worker processes, results store) with a trainer that returns at once: a coordinator and --workers worker
        processes on loopback run a generated --trials grid; duplicates = attempts beyond one per trial. Then
        --slow-trials trials of --trial-seconds each give the overhead per trial. Then Optuna (GridSampler, SQLite,
        as many processes, bench/optuna_grid.py) on a --peer-trials grid of the same values.

        scaling: wall time of a sweep (default experiments/quickstart.yaml) with `runner run --workers 1` and 2 (the
        cores split between the workers), then with a coordinator and 1 or 2 worker processes; each from an empty
        state folder.

        memory: --trials small trials (10 images a class, one epoch; freeze depths 0, 2, 4 in turn, so feature
        reuse and the full network alternate) in this process, the same code a worker runs; resident memory (RSS)
        after trial 60 and every 30 after, and the growth from trial 60 to the last sample.

        Options:
          --data DIR         Fashion-MNIST folder (default: the usual search)
          --python PATH      interpreter with torch / optuna for the peer [/usr/bin/python3]; "none" skips it
          trainer:     --threads LIST [1,2]  --epochs N timed epochs [2]  --batch-size B [64]
          frozen-sweep: --sweep FILE [experiments/fashion-transfer.yaml]  --epochs N [the file's]  --threads N [all cores]
          bookkeeping: --trials N [10000]  --workers N worker processes [2]  --slots N trial workers each [1]
                       --slow-trials N [20]  --trial-seconds S [1]  --peer-trials N [1000; 0 skips Optuna]
          scaling:     --sweep FILE [experiments/quickstart.yaml]
          memory:      --trials N [500]
        """;
    public IReadOnlyCollection<string> ValueOptions => new[]
    {
        "data", "sweep", "threads", "epochs", "batch-size", "python", "trials", "workers", "slots", "slow-trials", "trial-seconds", "peer-trials",
    };
    public IReadOnlyCollection<string> FlagOptions => Array.Empty<string>();

    public int Execute(Arguments args, CliContext context)
    {
        try { return Run(args, context); }
        // Interrupted: the child processes were stopped (see RunnerProcesses), so whatever failed next is not news.
        catch (Exception e) when (e is not OperationCanceledException && context.Cancel.IsCancellationRequested)
        {
            throw new OperationCanceledException("interrupted", e);
        }
    }

    static int Run(Arguments args, CliContext context)
    {
        string python = args.Get("python") ?? "/usr/bin/python3";
        switch (args.Single("a benchmark name (trainer, frozen-sweep, bookkeeping, scaling, memory)"))
        {
            case "trainer":
                var threadCounts = (args.Get("threads") ?? "1,2").Split(',').Select(t =>
                    int.TryParse(t, out int n) && n > 0 ? n : throw new UsageException($"--threads: '{t}' is not a positive whole number")).ToArray();
                return new TrainerBench(context).Run(DataLocator.Locate(args.Get("data"), null), threadCounts, args.Int("epochs", 1) ?? 2,
                    args.Int("batch-size", 1) ?? 64, python);
            case "frozen-sweep":
                return new FrozenSweepBench(context).Run(new FrozenSweepBench.Options(
                    SweepPath(args, context, "experiments/fashion-transfer.yaml"),
                    args.Int("epochs", 1), args.Int("threads", 1) ?? Environment.ProcessorCount, args.Get("data"), python));
            case "scaling":
                return new ScalingBench(context).Run(SweepPath(args, context, "experiments/quickstart.yaml"), args.Get("data"));
            case "memory":
                return new MemoryBench(context).Run(args.Int("trials", 60) ?? 500, args.Get("data"));
            case "bookkeeping":
                double seconds = args.Real("trial-seconds") ?? 1;
                if (seconds <= 0) throw new UsageException("--trial-seconds must be > 0");
                return new BookkeepingBench(context).Run(new BookkeepingBench.Options(args.Int("trials", 1) ?? 10_000, args.Int("workers", 1) ?? 2,
                    args.Int("slow-trials", 1) ?? 20, seconds, args.Int("peer-trials", 0) ?? 1000, python, args.Get("data"), args.Int("slots", 1) ?? 1));
            case var other:
                throw new UsageException($"unknown benchmark '{other}': trainer, frozen-sweep, bookkeeping, scaling or memory");
        }
    }

    static string SweepPath(Arguments args, CliContext context, string fallback) =>
        Path.GetFullPath(Path.Combine(context.WorkingDirectory, args.Get("sweep") ?? fallback));
}
