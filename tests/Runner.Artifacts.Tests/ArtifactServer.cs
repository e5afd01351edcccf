using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Runner.Cluster.Api;

namespace Runner.Artifacts.Tests;

/// <summary>The coordinator's artifact routes on a real Kestrel server on a free loopback port, over a store (a scratch folder, or a database).</summary>
public sealed class ArtifactServer : IDisposable
{
    readonly WebApplication _app;
    public IContentStore Store { get; }
    public string Url { get; }

    public ArtifactServer(IContentStore store)
    {
        Store = store;
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.Logging.ClearProviders();
        builder.Services.AddRouting();
        builder.WebHost.UseKestrelCore().ConfigureKestrel(k => k.Listen(System.Net.IPAddress.Loopback, 0));
        _app = builder.Build();
        new ArtifactRoutes(Store).Map(_app);
        _app.StartAsync().GetAwaiter().GetResult();
        Url = _app.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>()
            .Features.Get<Microsoft.AspNetCore.Hosting.Server.Features.IServerAddressesFeature>()!.Addresses.First().TrimEnd('/') + "/";
    }

    public void Dispose() => _app.StopAsync().Wait(TimeSpan.FromSeconds(5));
}
