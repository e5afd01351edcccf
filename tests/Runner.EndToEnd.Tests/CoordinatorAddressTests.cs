using System.Diagnostics;
using System.Net.NetworkInformation;
using System.Net.Sockets;

namespace Runner.EndToEnd.Tests;

/// <summary>
/// A coordinator whose cluster port other machines can reach while the API that serves them bases, uploads and
/// checkpoints listens on loopback only: workers elsewhere could join but never fetch a base. It says so once, at
/// start, before any sweep arrives; given an address workers reach (--api-url), it says nothing.
/// </summary>
[Collection("processes")]
public class CoordinatorAddressTests(ITestOutputHelper output)
{
    const string Warning = "WARNING: workers may join at";

    /// <summary>An IPv4 address of this machine beyond loopback (nothing is sent to it: the coordinator only listens there).</summary>
    static string? OwnAddress() => NetworkInterface.GetAllNetworkInterfaces()
        .Where(n => n.OperationalStatus == OperationalStatus.Up && n.NetworkInterfaceType != NetworkInterfaceType.Loopback)
        .SelectMany(n => n.GetIPProperties().UnicastAddresses).Select(a => a.Address)
        .FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork && !System.Net.IPAddress.IsLoopback(a))?.ToString();

    [SkippableFact]
    public void A_cluster_port_beyond_loopback_with_artifacts_on_loopback_is_said_once_at_start()
    {
        string? address = OwnAddress();
        Skip.If(address == null, "this machine has no IPv4 address beyond loopback to listen on");
        using var cluster = new LocalCluster(output);
        var warned = cluster.StartCoordinator("--host", address!, "--insecure");
        string Log(Process p) => File.ReadAllText(Directory.GetFiles(cluster.Folder, $"coordinator-{p.Id}.log").Single());
        cluster.WaitFor(() => Log(warned).Contains("coordinator up"), TimeSpan.FromSeconds(30), "the coordinator to start");
        Assert.Single(Log(warned).Split('\n'), line => line.Contains(Warning));
        Assert.Contains("give --api-host (an address they reach) or --api-url", Log(warned));
        cluster.Kill(warned);

        // Told where workers fetch artifacts: nothing to warn about.
        var told = cluster.StartCoordinator("--host", address!, "--insecure", "--api-url", $"http://{address}:{LocalCluster.FreePort()}/");
        cluster.WaitFor(() => Log(told).Contains("coordinator up"), TimeSpan.FromSeconds(30), "the coordinator to start");
        Assert.DoesNotContain(Warning, Log(told));
    }
}
