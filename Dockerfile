FROM python:3.11-slim
WORKDIR /app
COPY . /app
RUN pip install --no-cache-dir '.[server,postgres,s3,mlflow,ui,bench]'
EXPOSE 8000 8501 5000
CMD ["registry", "serve", "--host", "0.0.0.0"]
