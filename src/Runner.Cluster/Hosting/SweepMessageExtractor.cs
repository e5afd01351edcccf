using Akka.Cluster.Sharding;
using Runner.Cluster.Protocol;

namespace Runner.Cluster.Hosting;

/// <summary>Routes every sweep command to the SweepActor named by its sweep id.</summary>
public sealed class SweepMessageExtractor() : HashCodeMessageExtractor(maxNumberOfShards: 20)
{
    public override string? EntityId(object message) => (message as SweepCommands.ISweepCommand)?.SweepId;
}
