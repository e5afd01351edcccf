namespace Runner.Cluster.Protocol;

/// <summary>
/// Marks every message that crosses a node or is persisted. They are all bound to <see cref="RunnerSerializer"/>
/// (MessagePack with explicit keys and short stable manifests); none travels with a .NET type name.
/// </summary>
public interface IRunnerMessage;
