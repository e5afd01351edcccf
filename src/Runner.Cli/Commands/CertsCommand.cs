using System.Globalization;
using Runner.Cluster.Security;

namespace Runner.Cli.Commands;

/// <summary>`runner certs init DIR` and `runner certs issue DIR NAME`: the cluster's CA and its nodes' certificates.</summary>
public sealed class CertsCommand : ICommand
{
    public string Name => "certs";
    public string Summary => "make the cluster's certificate authority and certificates for its nodes";
    public string Description => """
        init DIR: makes the cluster's own certificate authority: DIR/ca.pfx (its private key: keep it off the nodes)
        and DIR/ca.crt (public). issue DIR NAME: a certificate for a node or client signed by it, DIR/NAME.pfx (key,
        certificate and the CA certificate: everything `--tls` needs). Nodes trust exactly what this CA signed, never the
        system's trust store. Files holding keys are written readable by their owner only (0600). A password for the
        .pfx files comes from RUNNER_TLS_PASSWORD or RUNNER_TLS_PASSWORD_FILE (never a flag).
        """;
    public IReadOnlyList<ArgumentSpec> Arguments => new ArgumentSpec[]
    {
        new("ACTION", "init or issue"), new("DIR", "the folder of the CA"), new("NAME", "issue: the node's or client's name", Required: false),
    };
    public IReadOnlyList<OptionSpec> Options => new OptionSpec[]
    {
        new("host", "LIST", "issue: host names and IP addresses the certificate names (for optional hostname checks)"),
        new("days", "N", "issue: days the certificate is valid [365]"),
    };

    public int Execute(Arguments args, CliContext context)
    {
        if (args.Positional.Count < 2) throw new UsageException("usage: runner certs init DIR | runner certs issue DIR NAME [--host LIST]");
        string dir = Path.GetFullPath(Path.Combine(context.WorkingDirectory, args.Positional[1]));
        string caFile = Path.Combine(dir, "ca.pfx");
        string? password = Runner.Results.EnvironmentSecret.Read("RUNNER_TLS_PASSWORD");
        switch (args.Positional[0])
        {
            case "init":
                if (args.Positional.Count != 2) throw new UsageException("usage: runner certs init DIR");
                if (File.Exists(caFile)) throw new CommandFailedException($"{caFile} exists: a cluster has one CA (delete it first to start a new one; every certificate it signed stops working)");
                var ca = ClusterCertificates.CreateAuthority("Runner cluster CA " + Path.GetFileName(dir));
                ClusterCertificates.Save(caFile, ca, null, password);
                File.WriteAllText(Path.Combine(dir, "ca.crt"), ca.ExportCertificatePem() + "\n");
                context.Out.WriteLine($"made the cluster CA: {caFile} (private: keep it where you issue certificates) and {Path.Combine(dir, "ca.crt")}; valid until {ca.NotAfter:yyyy-MM-dd}");
                return 0;
            case "issue":
                if (args.Positional.Count != 3) throw new UsageException("usage: runner certs issue DIR NAME [--host LIST]");
                string name = args.Positional[2];
                if (name.Length == 0 || !name.All(c => char.IsLetterOrDigit(c) || c is '-' or '_' or '.'))
                    throw new UsageException($"NAME may use letters, digits, '-', '_' and '.', got '{name}'");
                if (!File.Exists(caFile)) throw new CommandFailedException($"{caFile}: no CA here (make one with `runner certs init {args.Positional[1]}`)");
                try
                {
                    var (caCert, _) = ClusterCertificates.Load(caFile, password);
                    var hosts = (args.Get("host") ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
                    int days = args.Int("days", 1) ?? 365;
                    var issued = ClusterCertificates.Issue(caCert, name, hosts, notAfter: DateTimeOffset.UtcNow.AddDays(days));
                    string file = Path.Combine(dir, name + ".pfx");
                    ClusterCertificates.Save(file, issued, caCert, password);
                    context.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"issued {file} for '{name}'{(hosts.Length > 0 ? " (" + string.Join(", ", hosts) + ")" : "")}, valid until {issued.NotAfter:yyyy-MM-dd}; use it with --tls {file}"));
                }
                catch (System.Security.Cryptography.CryptographicException e)
                {
                    throw new CommandFailedException($"{caFile}: cannot read the CA ({e.Message}; its password goes in RUNNER_TLS_PASSWORD or RUNNER_TLS_PASSWORD_FILE)");
                }
                return 0;
            default:
                throw new UsageException($"unknown action '{args.Positional[0]}': init or issue");
        }
    }
}
