using System.Collections;
using System.Reflection;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Runner.Training.Models;

/// <summary>
/// Runs a zoo model's 1×1 convolutions on the CPU as what they are, one matrix product of every pixel's channels with
/// the weight, instead of through LibTorch's convolution.
/// <para>
/// Why: LibTorch 2.10's oneDNN 3.7 dies of SIGFPE while planning some 1×1 convolutions on a CPU whose CPUID reports
/// no cache topology (issue 23: ResNet-50's 512→1024 and 1024→2048 projections, on an AMD EPYC VM), and the only
/// safe LibTorch setting was to turn oneDNN's convolutions off for the whole network (<see cref="Engine.OneDnnGuard"/>),
/// which halved ResNet-18's float32 speed there and made bf16 25× slower. A matrix product never reaches oneDNN's
/// convolution planning, so every other convolution keeps oneDNN on every CPU; on channels-last tensors
/// (<see cref="ChannelsLast"/>) the pixels' channels already are the rows of a matrix, so it is one GEMM, and where
/// oneDNN's own 1×1 convolution works it is as fast (ResNet-18, both precisions: docs/benchmarks.md). The same code
/// runs on every CPU, so a trial's numbers do not depend on which CPU it drew.
/// </para>
/// <para>
/// How: TorchSharp 0.107 builds torchvision's blocks with their children in private fields (and a Sequential in its
/// list), and offers no way to swap a child, so each 1×1 Conv2d (no padding, one group) is replaced where its parent
/// holds it (the field or list entry it is called through, and the parent's registered child of that name) by a
/// <see cref="Pointwise"/> that owns the same weight and bias Parameters under the same names: state_dict names,
/// parameters, freezing, devices and checkpoints are those of the network torchvision builds. A test checks, for each
/// family of built-in models, that no 1×1 Conv2d is called any more and the state_dict is unchanged (so a TorchSharp
/// that stores its children differently fails there, not with SIGFPE on a user's machine).
/// </para>
/// </summary>
public static class PointwiseConvolutions
{
    const BindingFlags Fields = BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly;

    /// <summary>
    /// Replaces every 1×1 convolution of <paramref name="model"/> (its network, and its stages and head, which may be
    /// Sequentials of their own over the same modules) by a matrix product.
    /// </summary>
    /// <returns>how many convolutions were replaced</returns>
    public static int Reroute(IStagedModel model)
    {
        var roots = model.Stages.Select(s => (nn.Module)s.Module).Append(model.Network).Append(model.Head);
        var parents = roots.SelectMany(r => r.modules()).Distinct(ReferenceEqualityComparer.Instance).Cast<nn.Module>().ToList();
        var replaced = new Dictionary<Conv2d, Pointwise>(ReferenceEqualityComparer.Instance);
        Pointwise For(Conv2d conv) => replaced.TryGetValue(conv, out var p) ? p : replaced[conv] = new Pointwise(conv);
        foreach (var parent in parents)
        {
            for (var type = parent.GetType(); type != null && type != typeof(nn.Module); type = type.BaseType)
                foreach (var field in type.GetFields(Fields))
                    switch (field.GetValue(parent))
                    {
                        case Conv2d conv when IsPointwise(conv) && field.FieldType.IsAssignableFrom(typeof(Pointwise)):
                            field.SetValue(parent, For(conv));
                            break;
                        case IList list when Holds(list):
                            for (int i = 0; i < list.Count; i++)
                                if (list[i] is Conv2d conv && IsPointwise(conv)) list[i] = For(conv);
                            break;
                    }
            // The registered child of that name, in place (the state_dict keeps its order).
            var children = (IDictionary<string, nn.Module>)RegisteredChildren.GetValue(parent)!;
            foreach (string name in children.Keys.ToArray())
                if (children[name] is Conv2d conv && replaced.TryGetValue(conv, out var pointwise)) children[name] = pointwise;
        }
        return replaced.Count;
    }

    static readonly FieldInfo RegisteredChildren = typeof(nn.Module).GetField("_internal_submodules", BindingFlags.Instance | BindingFlags.NonPublic)
        ?? throw new MissingFieldException("TorchSharp's Module no longer keeps its children in _internal_submodules (see PointwiseConvolutions)");

    /// <summary>A list of modules a Pointwise may stand in (a Sequential's children, a ModuleList): not lists of anything else.</summary>
    static bool Holds(IList list)
    {
        var type = list.GetType();
        var element = type.IsArray ? type.GetElementType() : type.IsGenericType ? type.GetGenericArguments()[0] : null;
        return !list.IsReadOnly && element != null && element.IsAssignableFrom(typeof(Pointwise));
    }

    /// <summary>A convolution that is a matrix product over channels: a 1×1 kernel, no padding, one group (any stride).</summary>
    public static bool IsPointwise(Conv2d conv) =>
        conv.kernel_size is [1, 1] && conv.groups == 1 && (conv.padding is null || conv.padding.All(p => p == 0));

    /// <summary>A 1×1 Conv2d's weight and bias, computed as a matrix product on the CPU.</summary>
    sealed class Pointwise : nn.Module<Tensor, Tensor>
    {
        // Named as Conv2d names them, so the state_dict is the same; TorchSharp keeps such fields in step on .to(device).
        Parameter weight;
        Parameter? bias;
        readonly long[] stride;

        public Pointwise(Conv2d conv) : base("pointwise")
        {
            (weight, bias, stride) = (conv.weight!, conv.bias, conv.stride);
            register_parameter(nameof(weight), weight);
            if (bias is not null) register_parameter(nameof(bias), bias);
        }

        public override Tensor forward(Tensor x)
        {
            // Other devices keep their convolution (cuDNN's layouts are not measured here).
            if (x.device_type != DeviceType.CPU) return nn.functional.conv2d(x, weight, bias, stride);
            using var scope = NewDisposeScope();
            // A strided 1x1 convolution reads every stride-th pixel, from the first.
            var sampled = stride[0] == 1 && stride[1] == 1 ? x : x.slice(2, 0, x.shape[2], stride[0]).slice(3, 0, x.shape[3], stride[1]);
            // NHWC view (free when x is channels-last) times the weight as [out, in] gives [N, H, W, out]; its NCHW-shaped
            // view is channels-last, as the next layers expect.
            var product = nn.functional.linear(sampled.permute(0, 2, 3, 1), weight.view(weight.shape[0], weight.shape[1]), bias);
            return product.permute(0, 3, 1, 2).MoveToOuterDisposeScope();
        }
    }
}
