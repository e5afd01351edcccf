using System.Diagnostics;
using Runner.Cluster.Security;

namespace Runner.EndToEnd.Tests;

/// <summary>Mutual TLS between real coordinator and worker processes, with certificates made by `runner certs`.</summary>
[Collection("processes")]
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public class ClusterTlsTests(ITestOutputHelper output)
{
    [Fact]
    public void Nodes_with_certificates_of_the_cluster_CA_run_a_sweep_and_strangers_never_join()
    {
        using var cluster = new LocalCluster(output);
        string certs = Path.Combine(cluster.Folder, "certs"), other = Path.Combine(cluster.Folder, "other-ca");
        foreach (var args in new[]
                 {
                     new[] { "certs", "init", certs }, new[] { "certs", "issue", certs, "coordinator", "--host", "127.0.0.1" },
                     new[] { "certs", "issue", certs, "worker-1" }, new[] { "certs", "init", other }, new[] { "certs", "issue", other, "stranger" },
                 })
        {
            var r = cluster.Cli(args);
            Assert.True(r.ExitCode == 0, r.Error);
        }
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(certs, "ca.pfx")));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(certs, "worker-1.pfx")));
        // Signed by the right CA, but no longer valid (the CA starts 5 minutes back; this one ended a minute after that).
        var (ca, _) = ClusterCertificates.Load(Path.Combine(certs, "ca.pfx"), null);
        var caStart = new DateTimeOffset(ca.NotBefore.ToUniversalTime());
        ClusterCertificates.Save(Path.Combine(certs, "expired.pfx"),
            ClusterCertificates.Issue(ca, "expired", Array.Empty<string>(), caStart, caStart.AddMinutes(1)), ca, null);

        cluster.StartCoordinator("--tls", Path.Combine(certs, "coordinator.pfx"));
        cluster.StartWorker("--tls", Path.Combine(certs, "worker-1.pfx"));
        cluster.WaitFor(() => Workers(cluster) == 1, TimeSpan.FromSeconds(60), "the worker with the cluster's certificate to join");

        // Strangers: another CA's certificate, an expired one of this CA, and no TLS at all.
        var strangers = new[]
        {
            cluster.StartWorker("--tls", Path.Combine(other, "stranger.pfx"), "--join-timeout", "15").Process,
            cluster.StartWorker("--tls", Path.Combine(certs, "expired.pfx"), "--join-timeout", "15").Process,
            cluster.StartWorker("--join-timeout", "15").Process,
        };
        var submit = cluster.Cli("submit", cluster.WriteSweep("tls", 4));
        Assert.True(submit.ExitCode == 0, submit.Error);
        string sweep = submit.Out.Split(' ', StringSplitOptions.RemoveEmptyEntries)[2].TrimEnd(':');
        cluster.WaitFor(() => cluster.Count(sweep, "completed") == 4, TimeSpan.FromMinutes(4), "the sweep to finish over TLS");

        foreach (var p in strangers) Assert.True(p.WaitForExit(60_000), "a stranger worker is still trying after its join timeout");
        Assert.All(strangers, p => Assert.Equal(1, p.ExitCode));   // "cannot join the cluster"
        Assert.Equal(1, Workers(cluster));
        Assert.False(cluster.Coordinator!.HasExited);
        Assert.All(cluster.Rows(sweep), r => Assert.Equal(1, r.Attempts));
        string coordinatorLog = string.Join("\n", Directory.GetFiles(cluster.Folder, "coordinator-*.log").Select(File.ReadAllText));
        Assert.Contains("Refused a TLS connection", coordinatorLog);
    }

    static int Workers(LocalCluster cluster)
    {
        var (status, body) = cluster.Api(HttpMethod.Get, "workers");
        return status == 200 ? body.GetArrayLength() : -1;
    }
}
