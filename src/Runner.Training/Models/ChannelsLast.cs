using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Runner.Training.Models;

/// <summary>
/// Runs a model's 2-D convolutions, and so the BatchNorm, ReLU and pooling after them, on channels-last (NHWC) tensors
/// on the CPU. LibTorch's CPU kernels for max-pooling and BatchNorm are vectorized over channels only in that layout
/// (its NCHW max-pool is scalar), and oneDNN's convolutions need no reorder in it: convnet4 trains ~1.3× faster at
/// one thread (docs/benchmarks.md). TorchSharp 0.107 has no memory-format argument, so the layout is made the way
/// LibTorch recognizes it, by its strides: an NCHW-shaped view of an NHWC copy. The values are the same function up to
/// float rounding (different summation order); the shapes, the weights and the state_dict are unchanged.
/// A convolution's input is made channels-last before it runs (a one-channel input, such as a grayscale image, only
/// gets channels-last strides: its bytes are the same in both layouts), and so is its output if LibTorch left it NCHW.
/// Other devices are left alone: CUDA's choice of layout is not measured here.
/// </summary>
public static class ChannelsLast
{
    /// <summary>The input the pre-hook made on this thread, for the post-hook to release once the convolution is done (a convolution calls no other).</summary>
    [ThreadStatic] static Tensor? _madeInput;

    /// <summary>Hooks every Conv2d of <paramref name="model"/> (the modules it calls through <c>call</c>, as Sequential does).</summary>
    public static void Use(nn.Module model)
    {
        foreach (var module in model.modules())
        {
            if (module is not Conv2d conv) continue;
            conv.register_forward_pre_hook((_, input) => (_madeInput = InputFor(input)) ?? input);
            conv.register_forward_hook((_, _, output) =>
            {
                _madeInput?.Dispose();
                _madeInput = null;
                if (!Needs(output)) return output;
                var converted = Of(output);
                output.Dispose(); // nobody else holds this handle; autograd keeps what it needs
                return converted;
            });
        }
    }

    /// <summary>Whether a 4-D tensor's strides are those of a dense NHWC layout.</summary>
    public static bool IsChannelsLast(Tensor t) => t.dim() == 4 && IsChannelsLast(t.shape, t.stride());

    // Shape and strides are read once per call: each read is a native call, and this runs twice per convolution.
    static bool IsChannelsLast(long[] shape, long[] s) => s[1] == 1 && s[3] == shape[1] && s[2] == shape[1] * shape[3];

    /// <summary>A convolution's input laid out channels-last, or null when it is already (or is not a 4-D CPU tensor).</summary>
    static Tensor? InputFor(Tensor t)
    {
        if (t.dim() != 4 || t.device_type != DeviceType.CPU) return null;
        var shape = t.shape;
        if (IsChannelsLast(shape, t.stride())) return null;
        if (shape[1] > 1) return Of(t);
        // One channel (a grayscale image): both layouts hold the same bytes, and only the strides tell LibTorch which to
        // answer in. A free view with channels-last strides makes the convolution answer channels-last, instead of
        // answering NCHW and having its (larger) output copied afterwards.
        return t.is_contiguous() ? t.view(shape[0], shape[2], shape[3], 1).permute(0, 3, 1, 2) : null;
    }

    /// <summary>A 4-D CPU tensor with more than one channel that is not channels-last yet.</summary>
    static bool Needs(Tensor t)
    {
        if (t.dim() != 4 || t.device_type != DeviceType.CPU) return false;
        var shape = t.shape;
        return shape[1] > 1 && !IsChannelsLast(shape, t.stride());
    }

    /// <summary>The same values, laid out NHWC, as an NCHW-shaped tensor (what torch's <c>contiguous(memory_format=channels_last)</c> gives).</summary>
    public static Tensor Of(Tensor t)
    {
        using var nhwc = t.permute(0, 2, 3, 1);
        using var copy = nhwc.contiguous();
        return copy.permute(0, 3, 1, 2);
    }
}
