using Microsoft.AspNetCore.Builder;
using Runner.Cluster.Hosting;

namespace Runner.Cluster.Api;

/// <summary>What a module of the API gets: the node it serves, and who may call it.</summary>
public sealed record ApiModuleContext(RunnerNode Node, ApiAccess Access, ApiOptions Options);

/// <summary>
/// Routes another project adds to a coordinator's API, behind the same access rules and error handling (the web
/// dashboard: this project knows nothing of tables or pages).
/// </summary>
public interface IApiModule
{
    void Map(WebApplication app, ApiModuleContext context);
}
