using Runner.Artifacts;
using Runner.Cluster.Api;
using Runner.Cluster.Hosting;
using Runner.Cluster.Security;
using Runner.Cluster.Workers;
using Runner.Sweeps;
using Runner.Training.Engine;

namespace Runner.Cli;

/// <summary>Connects the actor runtime to the TorchSharp trainer, and reads node settings from flags and environment.</summary>
public static class ClusterWiring
{
    /// <summary>
    /// The local workers' devices: --devices cpu,cpu | cuda:0,cuda:1; else --workers N (default one per GPU, else 1)
    /// on the device a sweep asks for (<paramref name="required"/>, its resources.device: auto takes GPUs when there
    /// are any). Local workers that could never run the sweep are refused here rather than left idle.
    /// </summary>
    public static IReadOnlyList<string> Devices(Arguments args, string required = DeviceNames.Auto)
    {
        if (args.Get("devices") is { } list)
        {
            var devices = list.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
            foreach (string d in devices)
                if (!DeviceNames.IsValid(d) || d == DeviceNames.Auto) throw new UsageException($"--devices: '{d}' is not cpu, cuda or cuda:N");
            if (devices.Length == 0) throw new UsageException("--devices is empty");
            if (args.IsSet("workers") && args.Int("workers", 1) != devices.Length)
                throw new UsageException("--workers and --devices disagree: give one of them");
            if (devices.FirstOrDefault(d => !DeviceNames.Serves(required, d)) is { } idle)
                throw new UsageException($"--devices {idle} cannot run this sweep: its resources.device is {required}");
            return devices;
        }
        int gpus = required == "cpu" ? 0 : GpuCount();
        if (required.StartsWith("cuda", StringComparison.Ordinal) && gpus == 0)
            throw new CommandFailedException($"the sweep asks for resources.device {required} and this machine has no CUDA device (set resources.device: auto or cpu to run it here)");
        int workers = args.Int("workers", 1) ?? (required.StartsWith("cuda:", StringComparison.Ordinal) ? 1 : Math.Max(1, gpus));
        return Enumerable.Range(0, workers).Select(i => required.StartsWith("cuda:", StringComparison.Ordinal) ? required : gpus > 0 ? $"cuda:{i % gpus}" : "cpu").ToList();
    }

    static int GpuCount()
    {
        try { return TorchSharp.torch.cuda.is_available() ? TorchSharp.torch.cuda.device_count() : 0; }
        catch (Exception) { return 0; }
    }

    /// <summary>Threads per local worker: --threads N, else the cores split evenly among CPU workers.</summary>
    public static int ThreadsPerWorker(Arguments args, IReadOnlyList<string> devices, int fromSweep = 0)
    {
        int? asked = args.Int("threads", 0);
        if (asked is > 0) return asked.Value;
        if (fromSweep > 0) return fromSweep;
        int cpuWorkers = Math.Max(1, devices.Count(d => d == "cpu"));
        return Math.Max(1, Environment.ProcessorCount / cpuWorkers);
    }

    /// <summary>Flag, else environment variable, else default.</summary>
    public static string Setting(Arguments args, string option, string env, string fallback) =>
        args.Get(option) ?? NonEmpty(Environment.GetEnvironmentVariable(env)) ?? fallback;

    public static int Port(Arguments args, string option, string env, int fallback)
    {
        string text = Setting(args, option, env, fallback.ToString());
        return int.TryParse(text, out int port) && port is >= 0 and <= 65535 ? port : throw new UsageException($"--{option} must be a port number, got '{text}'");
    }

    /// <summary>Cluster addresses from --OPTION (or $RUNNER_OPTION), HOST:PORT[,HOST:PORT]; empty when not given.</summary>
    public static IReadOnlyList<string> SeedNodes(Arguments args, bool tls = false, string option = "seed-nodes")
    {
        string? text = args.Get(option) ?? NonEmpty(Environment.GetEnvironmentVariable("RUNNER_" + option.Replace('-', '_').ToUpperInvariant()));
        if (text == null) return Array.Empty<string>();
        return text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Select(t => SeedAddress(t, tls)).ToList();
    }

    /// <summary>Accepts host:port or a full akka.tcp://runner@host:port (akka.ssl.tcp:// with TLS) address.</summary>
    static string SeedAddress(string text, bool tls)
    {
        string scheme = ClusterTls.SchemeFor(tls);
        if (text.StartsWith("akka.", StringComparison.Ordinal))
            return text.StartsWith(scheme + "://", StringComparison.Ordinal) ? text
                : throw new UsageException($"seed node '{text}' does not start with {scheme}:// ({(tls ? "this node speaks TLS" : "give --tls to speak TLS")})");
        int colon = text.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(text[(colon + 1)..], out _)) throw new UsageException($"seed node '{text}' is not HOST:PORT");
        return $"{scheme}://{NodeRoles.SystemName}@{text}";
    }

    /// <summary>--tls FILE or $RUNNER_TLS: this node's certificate file (`runner certs issue`); null without.</summary>
    public static ClusterTls? Tls(Arguments args) => TlsPath(args) is { } path ? Tls(path) : null;

    /// <summary>--tls FILE or $RUNNER_TLS, the path itself (a worker hands it to its trainer processes).</summary>
    public static string? TlsPath(Arguments args) => args.Get("tls") ?? NonEmpty(Environment.GetEnvironmentVariable("RUNNER_TLS"));

    public static ClusterTls Tls(string path)
    {
        try { return ClusterTls.Load(path); }
        catch (TlsSetupException e) { throw new CommandFailedException(e.Message); }
    }

    public static readonly OptionSpec TlsOption = new("tls", "FILE.pfx",
        "speak mutual TLS with this certificate (`runner certs issue`); password in RUNNER_TLS_PASSWORD or RUNNER_TLS_PASSWORD_FILE [RUNNER_TLS]");

    public static readonly OptionSpec InsecureOption = OptionSpec.Flag("insecure",
        "allow a cluster port or API on a non-loopback address without --tls: anyone who reaches it can join, submit and read (warns on every start)");

    /// <summary>What a client of the API passes: where the coordinator is, and its credentials.</summary>
    public static readonly OptionSpec[] ClientOptions =
    {
        new("coordinator", "HOST:PORT", "the coordinator's API; a list HOST:PORT,HOST:PORT for a coordinator and its standbys (the active one is used) [RUNNER_COORDINATOR, default 127.0.0.1:4080]"),
        TlsOption with { Help = "a certificate of the cluster (`runner certs issue`): HTTPS, and it proves who you are [RUNNER_TLS]" },
        new("ca", "FILE.crt", "the cluster's CA certificate (`runner certs init` writes ca.crt): HTTPS with a token and no certificate of your own [RUNNER_CA]"),
        new("token", "TOKEN", "an API token (`runner token create`); better in RUNNER_TOKEN, which process lists do not show"),
    };

    /// <summary>A client's credentials: --tls FILE.pfx and/or --ca FILE.crt, --token (or their environment variables).</summary>
    public static ApiCredentials Credentials(Arguments args)
    {
        string? ca = args.Get("ca") ?? NonEmpty(Environment.GetEnvironmentVariable("RUNNER_CA"));
        try
        {
            return new ApiCredentials(Tls(args), ca == null ? null : ClusterTls.LoadAuthority(ca),
                args.Get("token") ?? NonEmpty(Environment.GetEnvironmentVariable("RUNNER_TOKEN")));
        }
        catch (TlsSetupException e) { throw new CommandFailedException(e.Message); }
    }

    /// <summary>
    /// Secure by default: a node refuses to listen beyond loopback without TLS, unless told `--insecure` (then it warns).
    /// <paramref name="hosts"/> are the addresses it binds (cluster port, API).
    /// </summary>
    public static void CheckExposure(Arguments args, ClusterTls? tls, CliContext context, params string[] hosts)
    {
        if (tls != null || hosts.All(IsLoopback)) return;
        string exposed = string.Join(", ", hosts.Where(h => !IsLoopback(h)).Distinct());
        if (!args.Has("insecure"))
            throw new UsageException($"refusing to listen on {exposed} without TLS: anyone who reaches it could join the cluster or submit work; give --tls FILE.pfx (`runner certs`), or --insecure on a network you trust");
        context.Error.WriteLine($"runner: WARNING: listening on {exposed} without TLS (--insecure): anyone who reaches it can join the cluster, read and submit");
    }

    public static bool IsLoopback(string host) =>
        host == "localhost" || (System.Net.IPAddress.TryParse(host.Trim('[', ']'), out var ip) && System.Net.IPAddress.IsLoopback(ip));

    static string? NonEmpty(string? s) => string.IsNullOrWhiteSpace(s) ? null : s;
}
