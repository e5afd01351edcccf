using System.Net;
using System.Net.Sockets;
using Runner.Artifacts;
using Runner.Cluster.Hosting;

namespace Runner.Artifacts.Tests;

/// <summary>The coordinator's artifact routes on a real HTTP listener on a free loopback port, over a store in a scratch folder.</summary>
public sealed class ArtifactServer : IDisposable
{
    readonly HttpListener _listener = new();
    public ContentStore Store { get; }
    public string Url { get; }

    public ArtifactServer(string folder)
    {
        Store = new ContentStore(folder);
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        int port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        Url = $"http://127.0.0.1:{port}/";
        _listener.Prefixes.Add(Url);
        _listener.Start();
        var routes = new ArtifactRoutes(Store);
        _ = Task.Run(async () =>
        {
            while (_listener.IsListening)
            {
                HttpListenerContext context;
                try { context = await _listener.GetContextAsync(); }
                catch (Exception) { return; }
                string[] path = context.Request.Url!.AbsolutePath.Trim('/').Split('/');
                _ = Task.Run(() => routes.Handle(context, path));
            }
        });
    }

    public void Dispose() => _listener.Close();
}
