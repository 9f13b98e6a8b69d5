"""The catalog UI (Streamlit). Start it with ``registry ui``."""
