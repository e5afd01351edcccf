using System.Runtime.InteropServices;
using Runner.Cluster.Workers;
using Runner.Training.Engine;

namespace Runner.Cli.Commands;

/// <summary>
/// `runner trainer-process`: not for people. A worker starts one per device and sends it trials over its standard
/// input (<see cref="TrainerChannel"/>); it trains them with TorchSharp, one at a time, until its input closes.
/// </summary>
public sealed class TrainerProcessCommand : ICommand
{
    public string Name => "trainer-process";
    public string Summary => "(internal) trains a worker's trials in a process of their own";
    public bool Hidden => true;
    public string Description => """
        Started by `runner worker` and `runner run`, one per local worker: it reads trials from its standard input and
        answers on its standard output. A crash in native code ends this process and fails one trial's attempt; the
        worker starts another. RUNNER_DEBUG_CRASH=SIGNAL[:TRIAL_ID_PREFIX] makes it fault with SIGNAL (SIGSEGV, SIGFPE or
        SIGABRT) in native code on the training thread after the first epoch of matching trials, to test exactly that.
        """;

    public IReadOnlyList<OptionSpec> Options => new OptionSpec[]
    {
        new("device", "D", "cpu | cuda:N"),
        new("threads", "N", "torch threads"),
        new("state", "DIR", "the worker's state folder"),
        new("data", "DIR", "Fashion-MNIST folder"),
        new("sweep-data", "DIR", "the sweep file's target.data"),
        OptionSpec.Flag("tensorboard", "write TensorBoard event files"),
        new("cache-bytes", "N", "artifact cache size"),
        new("tls", "FILE.pfx", "the worker's certificate, to fetch artifacts"),
    };

    /// <summary>The command line that starts a trainer process for <paramref name="device"/>.</summary>
    public static IEnumerable<string> Arguments(TrainerSettings s, string device)
    {
        string[] always = ["trainer-process", "--device", device, "--threads", s.Threads.ToString(), "--state", s.StateFolder, "--cache-bytes", s.CacheBytes.ToString()];
        return always
            .Concat(s.DataFolder is { } data ? ["--data", Path.GetFullPath(data)] : [])
            .Concat(s.SweepDataFolder is { } sweepData ? ["--sweep-data", Path.GetFullPath(sweepData)] : [])
            .Concat(s.TensorBoard ? ["--tensorboard"] : [])
            .Concat(s.TlsPath is { } tls ? ["--tls", Path.GetFullPath(tls)] : []);
    }

    public int Execute(Arguments args, CliContext context)
    {
        args.NoPositional();
        var settings = new TrainerSettings(args.Get("state") ?? throw new UsageException("--state is required"), args.Get("data"), args.Get("sweep-data"),
            args.Int("threads", 0) ?? 0, args.Has("tensorboard"), long.Parse(args.Get("cache-bytes") ?? ArtifactCacheDefault), args.Get("tls"));
        string device = args.Get("device") ?? "cpu";
        OneDnnGuard.OneTrialAtATime = true;
        var host = new TrainerHost(Console.In, ProtocolOutput());
        var execute = settings.InThisProcess(host.Log)(device);
        return host.Serve(DebugCrash.Wrap(execute));
    }

    static readonly string ArtifactCacheDefault = Runner.Artifacts.ArtifactCache.DefaultMaxBytes.ToString();

    /// <summary>
    /// The channel is this process's standard output as it was given; file descriptor 1 then points at standard error,
    /// so whatever native code prints cannot fall in the middle of a message.
    /// </summary>
    static TextWriter ProtocolOutput()
    {
        if (!OperatingSystem.IsLinux()) return Console.Out;
        int channel = dup(1);
        if (channel < 0 || dup2(2, 1) < 0) return Console.Out;
        var stream = new FileStream(new Microsoft.Win32.SafeHandles.SafeFileHandle(channel, ownsHandle: true), FileAccess.Write);
        return new StreamWriter(stream) { AutoFlush = false };
    }

    [DllImport("libc", SetLastError = true)] static extern int dup(int fd);
    [DllImport("libc", SetLastError = true)] static extern int dup2(int fd, int fd2);

    /// <summary>RUNNER_DEBUG_CRASH: a real native fault on the training thread, for tests of what a crash does.</summary>
    static class DebugCrash
    {
        public static TrialExecutor Wrap(TrialExecutor execute)
        {
            if (Environment.GetEnvironmentVariable("RUNNER_DEBUG_CRASH") is not { Length: > 0 } setting) return execute;
            string[] parts = setting.Split(':', 2);
            // Faults inside libc, as a native library's bug would be: the runtime passes them on and the process dies
            // (a signal sent with raise() is not the same: .NET's handlers may let it go).
            Action crash = parts[0] switch
            {
                "SIGSEGV" => () => memset(8, 0, 1),
                "SIGFPE" => () => div(1, 0),
                "SIGABRT" => () => abort(),
                _ => throw new UsageException($"RUNNER_DEBUG_CRASH: '{parts[0]}' is not SIGSEGV, SIGFPE or SIGABRT"),
            };
            string prefix = parts.Length > 1 ? parts[1] : "";
            return (job, onEpoch, cancel) => execute(job, epoch =>
            {
                if (!job.Pretrain && job.TrialId.StartsWith(prefix, StringComparison.Ordinal)) crash();
                return onEpoch(epoch);
            }, cancel);
        }

        [DllImport("libc")] static extern IntPtr memset(IntPtr destination, int value, UIntPtr count);
        [DllImport("libc")] static extern long div(int numerator, int denominator);
        [DllImport("libc")] static extern void abort();
    }
}
