# Runner image for cluster nodes. GPU workers need the CUDA build of TorchSharp (the default here); the same image
# runs the coordinator, which never loads Torch.
#   docker build -t runner .                              (TorchSharp-cuda-linux)
#   docker build -t runner --build-arg TORCH_BACKEND=cpu .
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
ARG TORCH_BACKEND=cuda
WORKDIR /src
COPY . .
RUN dotnet publish src/Runner.Cli -c Release -p:TorchBackend=${TORCH_BACKEND} -o /app

FROM mcr.microsoft.com/dotnet/runtime:10.0
WORKDIR /app
COPY --from=build /app .
# The shipped Fashion-MNIST subset; mount the full dataset at /data and set RUNNER_DATA=/data for real studies.
COPY data/fashion-mnist-subset /data/fashion-mnist-subset
ENV RUNNER_STATE=/state DOTNET_CLI_TELEMETRY_OPTOUT=1
VOLUME /state
ENTRYPOINT ["/app/runner"]
CMD ["--help"]
