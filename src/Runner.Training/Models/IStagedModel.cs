using TorchSharp;
using static TorchSharp.torch;

namespace Runner.Training.Models;

/// <summary>
/// A network seen as named stages followed by a head. Transfer learning freezes a prefix of the stages and always
/// replaces the head (its size is the number of target classes).
/// </summary>
public interface IStagedModel
{
    string Name { get; }
    IReadOnlyList<(string Name, nn.Module<Tensor, Tensor> Module)> Stages { get; }
    nn.Module<Tensor, Tensor> Head { get; }
    nn.Module<Tensor, Tensor> Network { get; }
}
